import { AF, Errno, IFA, IFF, IFLA, Ifaddrmsg, Ifinfomsg, NLM_F, Nlmsghdr, RTA, RTM, RTN, RT_TABLE, Rtmsg, SysError } from '@tvisor/abi';
import { LoopbackEndpoint, Stack, VirtualClock } from '@tvisor/netstack';
import { describe, expect, it } from 'vitest';
import { attrString, MessageBuilder, parseAttributes, parseMessages, type NetlinkMessage } from './message.js';
import { routeRequest, type RouteContext } from './route.js';

function sandbox(privileged = true): RouteContext {
  const stack = new Stack({ clock: new VirtualClock() });
  const lo = stack.addNic(new LoopbackEndpoint(), 'lo');
  stack.addAddress(lo, '127.0.0.1/8');
  stack.addAddress(lo, '::1/128');
  return { stack, privileged, portId: 4242 };
}

/** A request as a program builds it: header, fixed struct, attributes; parsed back the way the socket parses a datagram. */
function request(type: number, flags: number, build: (b: MessageBuilder) => void): NetlinkMessage {
  const b = new MessageBuilder({ nlmsg_type: type, nlmsg_flags: NLM_F.REQUEST | flags, nlmsg_seq: 7, nlmsg_pid: 0 });
  build(b);
  const [m] = parseMessages(b.finish());
  return m;
}

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

describe('NETLINK_ROUTE requests on a netstack Stack', () => {
  it('frames messages: lengths, 4-byte padding, and a walk that stops at a truncated message', () => {
    const one = new MessageBuilder({ nlmsg_type: RTM.GETLINK, nlmsg_flags: NLM_F.REQUEST, nlmsg_seq: 1, nlmsg_pid: 0 }).attrString(IFLA.IFNAME, 'lo').finish();
    expect(one.length).toBe(Nlmsghdr.size + 8);
    // As nlmsg_end: the length covers the padded attribute (4-byte header, "lo\0", one byte of padding).
    expect(Nlmsghdr.decode(dv(one), 0).nlmsg_len).toBe(Nlmsghdr.size + 8);
    const two = new Uint8Array(one.length * 2 + 5);
    two.set(one, 0);
    two.set(one, one.length);
    expect(parseMessages(two)).toHaveLength(2);
    expect(parseMessages(two.subarray(0, one.length + 10))).toHaveLength(1);
    expect(attrString(parseAttributes(parseMessages(one)[0].body, 0), IFLA.IFNAME)).toBe('lo');
  });

  it('dumps links and addresses with the fields ip and getifaddrs read', () => {
    const ctx = sandbox();
    const links = routeRequest(
      ctx,
      request(RTM.GETLINK, NLM_F.DUMP, (b) => b.struct(Ifinfomsg, { ifi_family: AF.UNSPEC, ifi_type: 0, ifi_index: 0, ifi_flags: 0, ifi_change: 0 })),
    );
    expect(links.dump).toBe(true);
    expect(links.messages).toHaveLength(1);
    const [link] = parseMessages(links.messages[0]);
    expect(link.header).toMatchObject({ nlmsg_type: RTM.NEWLINK, nlmsg_flags: NLM_F.MULTI, nlmsg_seq: 7, nlmsg_pid: 4242 });
    const ifi = Ifinfomsg.decode(dv(link.body), 0);
    expect(ifi.ifi_index).toBe(1);
    expect(ifi.ifi_flags & (IFF.UP | IFF.LOOPBACK)).toBe(IFF.UP | IFF.LOOPBACK);
    const la = parseAttributes(link.body, Ifinfomsg.size);
    expect(attrString(la, IFLA.IFNAME)).toBe('lo');
    expect(dv(la.get(IFLA.MTU)!).getUint32(0, true)).toBe(ctx.stack.listNics()[0].mtu);

    const addrs = routeRequest(
      ctx,
      request(RTM.GETADDR, NLM_F.DUMP, (b) => b.bytes(Uint8Array.of(AF.INET, 0, 0, 0))),
    );
    expect(addrs.messages).toHaveLength(1);
    const [a] = parseMessages(addrs.messages[0]);
    expect(Ifaddrmsg.decode(dv(a.body), 0)).toMatchObject({ ifa_family: AF.INET, ifa_prefixlen: 8, ifa_index: 1 });
    expect([...parseAttributes(a.body, Ifaddrmsg.size).get(IFA.LOCAL)!]).toEqual([127, 0, 0, 1]);
  });

  it('adds and removes addresses and routes for root, refuses others with EPERM, unknown types with EOPNOTSUPP', () => {
    const ctx = sandbox();
    const addAddr = (c: RouteContext, type: number) =>
      routeRequest(
        c,
        request(type, NLM_F.ACK, (b) =>
          b.struct(Ifaddrmsg, { ifa_family: AF.INET, ifa_prefixlen: 24, ifa_flags: 0, ifa_scope: 0, ifa_index: 1 }).attr(IFA.LOCAL, Uint8Array.of(10, 1, 2, 3)),
        ),
      );
    addAddr(ctx, RTM.NEWADDR);
    expect(ctx.stack.listNics()[0].addresses.map((x) => `${x.address.toString()}/${x.prefixLen}`)).toContain('10.1.2.3/24');
    const route = (type: number) =>
      routeRequest(
        ctx,
        request(type, NLM_F.ACK, (b) =>
          b
            .struct(Rtmsg, {
              rtm_family: AF.INET,
              rtm_dst_len: 16,
              rtm_src_len: 0,
              rtm_tos: 0,
              rtm_table: RT_TABLE.MAIN,
              rtm_protocol: 0,
              rtm_scope: 0,
              rtm_type: RTN.UNICAST,
              rtm_flags: 0,
            })
            .attr(RTA.DST, Uint8Array.of(10, 9, 0, 0))
            .attr(RTA.GATEWAY, Uint8Array.of(10, 1, 2, 1)),
        ),
      );
    route(RTM.NEWROUTE);
    expect(ctx.stack.routes.list().some((e) => e.gateway?.toString() === '10.1.2.1' && e.prefixLen === 16)).toBe(true);
    route(RTM.DELROUTE);
    expect(ctx.stack.routes.list().some((e) => e.gateway !== undefined)).toBe(false);
    addAddr(ctx, RTM.DELADDR);
    expect(ctx.stack.listNics()[0].addresses).toHaveLength(2);
    const errno = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof SysError ? e.errno : -1;
      }
      return 0;
    };
    expect(errno(() => addAddr(sandbox(false), RTM.NEWADDR))).toBe(Errno.EPERM);
    expect(errno(() => addAddr(ctx, RTM.DELADDR))).toBe(Errno.EADDRNOTAVAIL);
    expect(
      errno(() =>
        routeRequest(
          ctx,
          request(0x7f2, NLM_F.DUMP, () => {}),
        ),
      ),
    ).toBe(Errno.EOPNOTSUPP);
  });

  it('brings a link down and up (ifi_change selects IFF_UP)', () => {
    const ctx = sandbox();
    const set = (flags: number) =>
      routeRequest(
        ctx,
        request(RTM.NEWLINK, NLM_F.ACK, (b) => b.struct(Ifinfomsg, { ifi_family: AF.UNSPEC, ifi_type: 0, ifi_index: 1, ifi_flags: flags, ifi_change: IFF.UP })),
      );
    set(0);
    expect(ctx.stack.listNics()[0].up).toBe(false);
    set(IFF.UP);
    expect(ctx.stack.listNics()[0].up).toBe(true);
  });
});
