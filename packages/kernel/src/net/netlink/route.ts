import {
  AF,
  ARPHRD,
  Errno,
  IF_OPER,
  IFA,
  IFA_F,
  IFF,
  IFLA,
  Ifaddrmsg,
  Ifinfomsg,
  NDA,
  Ndmsg,
  NLM_F,
  NUD,
  RT_SCOPE,
  RT_TABLE,
  RTA,
  RTM,
  Rtmsg,
  RTN,
  RTPROT,
  SysError,
} from '@tvisor/abi';
import { IpAddress, type Nic, type Stack } from '@tvisor/netstack';
import { attrString, attrU32, decodeBody, MessageBuilder, parseAttributes, type NetlinkMessage } from './message.js';
import { destroyTunDevice, findTunDevice } from '../tun/tun-device.js';

/** What a request runs with: the stack it reads and changes, and who asks. */
export interface RouteContext {
  stack: Stack;
  /** Whether the caller may change the network (CAP_NET_ADMIN: root in the sandbox). */
  privileged: boolean;
  /** The requesting socket's port id (nlmsg_pid of the replies). */
  portId: number;
}

/** The result of one request: reply messages, and whether they form a dump (ended by NLMSG_DONE). */
export interface RouteReply {
  messages: Uint8Array[];
  dump: boolean;
}

/** Counters of struct rtnl_link_stats (u32) and rtnl_link_stats64 (u64): 24 of each in Linux 6.x. */
const LINK_STATS_COUNT = 24;
/** Every sandbox NIC's transmit queue length (Linux's default for loopback and Ethernet alike). */
export const NIC_TX_QUEUE_LEN = 1000;
/** IFA_CACHEINFO's "forever" lifetime. */
const INFINITY_LIFE = 0xffffffff;

function familyOf(a: IpAddress): number {
  return a.version === 4 ? AF.INET : AF.INET6;
}

/** The network part of address bytes under `prefixLen` (host bits cleared). */
export function networkBytes(bytes: Uint8Array, prefixLen: number): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, prefixLen - i * 8));
    out[i] &= (0xff << (8 - bits)) & 0xff;
  }
  return out;
}

/** The ARPHRD_* hardware type Linux gives a NIC (ifi_type, SIOCGIFHWADDR's sa_family). */
export function nicHardwareType(nic: Nic): number {
  return nic.isLoopback ? ARPHRD.LOOPBACK : nic.isIpOnly ? ARPHRD.NONE : ARPHRD.ETHER;
}

/** The interface flags Linux would show for a NIC (ifi_flags, SIOCGIFFLAGS). */
export function nicFlags(nic: Nic): number {
  let flags = nic.isLoopback ? IFF.LOOPBACK : nic.isIpOnly ? IFF.POINTOPOINT | IFF.NOARP | IFF.MULTICAST : IFF.BROADCAST | IFF.MULTICAST;
  // dev_get_flags: RUNNING and LOWER_UP only while up and with a carrier (a TUN/TAP without its file has none).
  if (nic.up) flags |= nic.link.carrier === false ? IFF.UP : IFF.UP | IFF.RUNNING | IFF.LOWER_UP;
  return flags;
}

/** The address scope Linux gives an interface address. */
export function addressScope(a: IpAddress): number {
  if (a.isLoopback) return RT_SCOPE.HOST;
  if (a.version === 6 && a.bytes[0] === 0xfe && (a.bytes[1] & 0xc0) === 0x80) return RT_SCOPE.LINK;
  return RT_SCOPE.UNIVERSE;
}

function linkStats(nic: Nic, wide: boolean): Uint8Array {
  const size = wide ? 8 : 4;
  const out = new Uint8Array(LINK_STATS_COUNT * size);
  const v = new DataView(out.buffer);
  // rx_packets, tx_packets, rx_bytes, tx_bytes, rx_errors, tx_errors, rx_dropped: the first seven counters.
  const values = [nic.counters.rxFrames, nic.counters.txFrames, nic.byteCounters.rxBytes, nic.byteCounters.txBytes, 0, 0, nic.counters.rxDropped];
  values.forEach((n, i) => (wide ? v.setBigUint64(i * 8, BigInt(n), true) : v.setUint32(i * 4, n >>> 0, true)));
  return out;
}

/** RTM_NEWLINK describing `nic`. */
function linkMessage(ctx: RouteContext, nic: Nic, seq: number, flags: number): Uint8Array {
  const b = new MessageBuilder({ nlmsg_type: RTM.NEWLINK, nlmsg_flags: flags, nlmsg_seq: seq, nlmsg_pid: ctx.portId });
  b.struct(Ifinfomsg, {
    ifi_family: AF.UNSPEC,
    ifi_type: nicHardwareType(nic),
    ifi_index: nic.id,
    ifi_flags: nicFlags(nic),
    ifi_change: 0,
  });
  b.attrString(IFLA.IFNAME, nic.name);
  b.attrU32(IFLA.TXQLEN, NIC_TX_QUEUE_LEN);
  b.attrU8(IFLA.OPERSTATE, !nic.up || nic.link.carrier === false ? IF_OPER.DOWN : nic.isLoopback ? IF_OPER.UNKNOWN : IF_OPER.UP);
  b.attrU8(IFLA.LINKMODE, 0);
  b.attrU32(IFLA.MTU, nic.mtu);
  b.attrU32(IFLA.GROUP, 0);
  b.attrU32(IFLA.PROMISCUITY, 0);
  b.attrU32(IFLA.NUM_TX_QUEUES, 1);
  b.attrU32(IFLA.NUM_RX_QUEUES, 1);
  b.attrU8(IFLA.CARRIER, (nic.link.carrier ?? nic.up) ? 1 : 0);
  b.attrString(IFLA.QDISC, 'noqueue');
  // An IP-only link has no link-layer address (Linux sends none for a TUN).
  if (!nic.isIpOnly) {
    b.attr(IFLA.ADDRESS, Uint8Array.from(nic.mac));
    b.attr(IFLA.BROADCAST, nic.isLoopback ? new Uint8Array(6) : new Uint8Array(6).fill(0xff));
  }
  b.attr(IFLA.STATS, linkStats(nic, false));
  b.attr(IFLA.STATS64, linkStats(nic, true));
  return b.finish();
}

/** RTM_NEWADDR describing one address of `nic`. */
function addressMessage(ctx: RouteContext, nic: Nic, address: IpAddress, prefixLen: number, seq: number, flags: number): Uint8Array {
  const b = new MessageBuilder({ nlmsg_type: RTM.NEWADDR, nlmsg_flags: flags, nlmsg_seq: seq, nlmsg_pid: ctx.portId });
  b.struct(Ifaddrmsg, {
    ifa_family: familyOf(address),
    ifa_prefixlen: prefixLen,
    ifa_flags: IFA_F.PERMANENT,
    ifa_scope: addressScope(address),
    ifa_index: nic.id,
  });
  b.attr(IFA.ADDRESS, address.bytes);
  if (address.version === 4) {
    b.attr(IFA.LOCAL, address.bytes);
    if (!nic.isLoopback && prefixLen < 31) b.attr(IFA.BROADCAST, address.subnetBroadcast(prefixLen).bytes);
    b.attrString(IFA.LABEL, nic.name);
  }
  b.attrU32(IFA.FLAGS, IFA_F.PERMANENT);
  const cache = new Uint8Array(16);
  const cv = new DataView(cache.buffer);
  cv.setUint32(0, INFINITY_LIFE, true);
  cv.setUint32(4, INFINITY_LIFE, true);
  b.attr(IFA.CACHEINFO, cache);
  return b.finish();
}

interface RouteRow {
  family: number;
  dst: Uint8Array;
  dstLen: number;
  table: number;
  type: number;
  scope: number;
  protocol: number;
  nic: Nic;
  gateway?: Uint8Array;
  prefsrc?: Uint8Array;
}

/**
 * The routing tables as Linux shows them: routes through the loopback NIC
 * are local-table routes (so `ip route` lists none of them, as on Linux);
 * on-link routes of other NICs are kernel routes of the main table; routes
 * with a gateway are static main-table routes.
 */
export function routeRows(stack: Stack): RouteRow[] {
  const rows: RouteRow[] = [];
  const seen = new Set<string>();
  const push = (r: RouteRow) => {
    const key = `${r.table}/${r.type}/${r.dst.join('.')}/${r.dstLen}/${r.nic.id}`;
    if (seen.has(key)) return;
    seen.add(key);
    rows.push(r);
  };
  for (const e of stack.routes.list()) {
    const nic = stack.nicById(e.nicId);
    if (!nic) continue;
    const onLink = !e.gateway;
    const own = onLink ? nic.addresses.find((a) => a.address.key === e.destination.key && a.prefixLen === e.prefixLen) : undefined;
    const local = nic.isLoopback && onLink;
    push({
      family: familyOf(e.destination),
      dst: networkBytes(e.destination.bytes, e.prefixLen),
      dstLen: e.prefixLen,
      table: local ? RT_TABLE.LOCAL : RT_TABLE.MAIN,
      type: local ? RTN.LOCAL : RTN.UNICAST,
      scope: local ? RT_SCOPE.HOST : onLink ? RT_SCOPE.LINK : RT_SCOPE.UNIVERSE,
      protocol: onLink ? RTPROT.KERNEL : RTPROT.STATIC,
      nic,
      gateway: e.gateway?.bytes,
      prefsrc: own && own.address.version === 4 ? own.address.bytes : undefined,
    });
  }
  // The local table's entries for each address (fib_add_ifaddr): a host
  // route to the address itself and, for IPv4 subnets, the broadcast address.
  for (const nic of stack.listNics()) {
    for (const a of nic.addresses) {
      const v4 = a.address.version === 4;
      const src = v4 ? a.address.bytes : undefined;
      const base = { family: familyOf(a.address), table: RT_TABLE.LOCAL, protocol: RTPROT.KERNEL, nic, prefsrc: src };
      push({ ...base, dst: a.address.bytes, dstLen: v4 ? 32 : 128, type: RTN.LOCAL, scope: RT_SCOPE.HOST });
      if (v4 && a.prefixLen < 31) push({ ...base, dst: a.address.subnetBroadcast(a.prefixLen).bytes, dstLen: 32, type: RTN.BROADCAST, scope: RT_SCOPE.LINK });
    }
  }
  const order = (r: RouteRow) => [r.family, r.table, ...r.dst, r.dstLen];
  return rows.sort((x, y) => {
    const a = order(x);
    const b = order(y);
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return 0;
  });
}

function routeMessage(ctx: RouteContext, r: RouteRow, seq: number, flags: number): Uint8Array {
  const b = new MessageBuilder({ nlmsg_type: RTM.NEWROUTE, nlmsg_flags: flags, nlmsg_seq: seq, nlmsg_pid: ctx.portId });
  b.struct(Rtmsg, {
    rtm_family: r.family,
    rtm_dst_len: r.dstLen,
    rtm_src_len: 0,
    rtm_tos: 0,
    rtm_table: r.table,
    rtm_protocol: r.protocol,
    rtm_scope: r.scope,
    rtm_type: r.type,
    rtm_flags: 0,
  });
  b.attrU32(RTA.TABLE, r.table);
  if (r.dstLen > 0) b.attr(RTA.DST, r.dst);
  if (r.family === AF.INET6) b.attrU32(RTA.PRIORITY, r.table === RT_TABLE.LOCAL ? 0 : 256);
  if (r.prefsrc) b.attr(RTA.PREFSRC, r.prefsrc);
  if (r.gateway) b.attr(RTA.GATEWAY, r.gateway);
  b.attrU32(RTA.OIF, r.nic.id);
  return b.finish();
}

function neighborMessages(ctx: RouteContext, family: number, seq: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const nic of ctx.stack.listNics()) {
    for (const [fam, cache] of [
      [AF.INET, nic.neighbors4],
      [AF.INET6, nic.neighbors6],
    ] as const) {
      if (family !== AF.UNSPEC && family !== fam) continue;
      for (const n of cache.list()) {
        const b = new MessageBuilder({ nlmsg_type: RTM.NEWNEIGH, nlmsg_flags: NLM_F.MULTI, nlmsg_seq: seq, nlmsg_pid: ctx.portId });
        b.struct(Ndmsg, { ndm_family: fam, ndm_ifindex: nic.id, ndm_state: n.permanent ? NUD.PERMANENT : NUD.REACHABLE, ndm_flags: 0, ndm_type: RTN.UNICAST });
        b.attr(NDA.DST, IpAddress.parse(n.ip).bytes);
        b.attr(NDA.LLADDR, Uint8Array.from(n.mac));
        out.push(b.finish());
      }
    }
  }
  return out;
}

/** The NIC a link request names by index, else by IFLA_IFNAME; ENODEV if none. */
function requestedNic(ctx: RouteContext, index: number, attrs: Map<number, Uint8Array>): Nic {
  const name = attrString(attrs, IFLA.IFNAME);
  if (index <= 0 && name === undefined) throw new SysError(Errno.EINVAL);
  const nic = index > 0 ? ctx.stack.nicById(index) : (ctx.stack.listNics().find((n) => n.name === name) ?? null);
  if (!nic) throw new SysError(Errno.ENODEV);
  return nic;
}

function requirePrivilege(ctx: RouteContext): void {
  if (!ctx.privileged) throw new SysError(Errno.EPERM);
}

function addressText(raw: Uint8Array | undefined, family: number): IpAddress {
  const len = family === AF.INET ? 4 : family === AF.INET6 ? 16 : 0;
  if (!raw || len === 0 || raw.length < len) throw new SysError(Errno.EINVAL);
  return IpAddress.fromBytes(raw.subarray(0, len));
}

function newLink(ctx: RouteContext, msg: NetlinkMessage): void {
  const ifm = decodeBody(Ifinfomsg, msg.body);
  if (!ifm) throw new SysError(Errno.EINVAL);
  const attrs = parseAttributes(msg.body, Ifinfomsg.size);
  let nic: Nic;
  try {
    // Naming no device at all is ENODEV here (rtnl_newlink), not getlink's EINVAL: iproute2 probes
    // RTM_NEWLINK support that way, and takes EINVAL or EOPNOTSUPP to mean `ip link add/delete` cannot work.
    if (ifm.ifi_index <= 0 && !attrs.has(IFLA.IFNAME)) throw new SysError(Errno.ENODEV);
    nic = requestedNic(ctx, ifm.ifi_index, attrs);
  } catch (e) {
    // Creating a device (veth, bridge...) is not something the sandbox does.
    if (msg.header.nlmsg_flags & NLM_F.CREATE) throw new SysError(Errno.EOPNOTSUPP);
    throw e;
  }
  requirePrivilege(ctx);
  if (msg.header.nlmsg_flags & NLM_F.EXCL && msg.header.nlmsg_type === RTM.NEWLINK) throw new SysError(Errno.EEXIST);
  // Renaming and MTU changes are not supported by netstack's NICs; a MAC change only where the link takes one (TAP).
  if (attrs.has(IFLA.MTU)) throw new SysError(Errno.EOPNOTSUPP);
  const mac = attrs.get(IFLA.ADDRESS);
  if (mac) {
    if (!nic.link.setMacAddress) throw new SysError(Errno.EOPNOTSUPP);
    if (mac.length !== 6) throw new SysError(Errno.EINVAL);
    // is_valid_ether_addr: neither multicast nor all zeros.
    if ((mac[0] & 1) !== 0 || mac.every((b) => b === 0)) throw new SysError(Errno.EADDRNOTAVAIL);
    nic.link.setMacAddress(mac);
  }
  if (ifm.ifi_index > 0 && attrs.has(IFLA.IFNAME) && attrString(attrs, IFLA.IFNAME) !== nic.name) throw new SysError(Errno.EOPNOTSUPP);
  // rtnl_dev_combine_flags: ifi_change selects the bits to change; 0 means all of them.
  const change = ifm.ifi_change || 0xffffffff;
  if (ifm.ifi_flags || ifm.ifi_change) {
    const flags = ((ifm.ifi_flags & change) | (nicFlags(nic) & ~change)) >>> 0;
    ctx.stack.setNicUp(nic, (flags & IFF.UP) !== 0);
  }
}

function changeAddress(ctx: RouteContext, msg: NetlinkMessage, add: boolean): void {
  requirePrivilege(ctx);
  const ifa = decodeBody(Ifaddrmsg, msg.body);
  if (!ifa) throw new SysError(Errno.EINVAL);
  const attrs = parseAttributes(msg.body, Ifaddrmsg.size);
  const nic = ctx.stack.nicById(ifa.ifa_index);
  if (!nic) throw new SysError(Errno.ENODEV);
  const address = addressText(attrs.get(IFA.LOCAL) ?? attrs.get(IFA.ADDRESS), ifa.ifa_family);
  const cidr = `${address.toString()}/${ifa.ifa_prefixlen}`;
  if (add) {
    const existing = nic.addresses.find((a) => a.address.key === address.key);
    if (existing) {
      if (msg.header.nlmsg_flags & NLM_F.EXCL) throw new SysError(Errno.EEXIST);
      return;
    }
    ctx.stack.addAddress(nic, cidr);
  } else {
    const held = nic.addresses.find((a) => a.address.key === address.key);
    if (!held) throw new SysError(Errno.EADDRNOTAVAIL);
    ctx.stack.removeAddress(nic, `${address.toString()}/${held.prefixLen}`);
  }
}

function changeRoute(ctx: RouteContext, msg: NetlinkMessage, add: boolean): void {
  requirePrivilege(ctx);
  const rtm = decodeBody(Rtmsg, msg.body);
  if (!rtm) throw new SysError(Errno.EINVAL);
  if (rtm.rtm_family !== AF.INET && rtm.rtm_family !== AF.INET6) throw new SysError(Errno.EAFNOSUPPORT);
  const attrs = parseAttributes(msg.body, Rtmsg.size);
  const any = rtm.rtm_family === AF.INET ? '0.0.0.0' : '::';
  const dst = attrs.has(RTA.DST) ? addressText(attrs.get(RTA.DST), rtm.rtm_family).toString() : any;
  const gateway = attrs.has(RTA.GATEWAY) ? addressText(attrs.get(RTA.GATEWAY), rtm.rtm_family) : undefined;
  const oif = attrU32(attrs, RTA.OIF);
  let nic: Nic | null = oif !== undefined ? ctx.stack.nicById(oif) : null;
  if (oif !== undefined && !nic) throw new SysError(Errno.ENODEV);
  if (!nic && gateway) nic = ctx.stack.findRoute(gateway).nic;
  const cidr = `${dst}/${rtm.rtm_dst_len}`;
  if (add) {
    if (!nic) throw new SysError(Errno.ENODEV);
    ctx.stack.addRoute(cidr, nic, gateway?.toString());
    return;
  }
  const target = nic ?? ctx.stack.listNics().find((n) => routeRows(ctx.stack).some((r) => r.nic === n && r.dstLen === rtm.rtm_dst_len));
  if (!target) throw new SysError(Errno.ESRCH);
  ctx.stack.removeRoute(cidr, target, gateway?.toString());
}

/** RTM_GETROUTE for one destination (`ip route get`): the route the stack would take. */
function routeLookup(ctx: RouteContext, msg: NetlinkMessage): Uint8Array {
  const rtm = decodeBody(Rtmsg, msg.body);
  if (!rtm) throw new SysError(Errno.EINVAL);
  const attrs = parseAttributes(msg.body, Rtmsg.size);
  const dst = addressText(attrs.get(RTA.DST), rtm.rtm_family);
  const route = ctx.stack.findRoute(dst);
  return routeMessage(
    ctx,
    {
      family: rtm.rtm_family,
      dst: dst.bytes,
      dstLen: dst.version === 4 ? 32 : 128,
      table: route.local || route.nic.isLoopback ? RT_TABLE.LOCAL : RT_TABLE.MAIN,
      type: route.local || route.nic.isLoopback ? RTN.LOCAL : RTN.UNICAST,
      scope: RT_SCOPE.UNIVERSE,
      protocol: RTPROT.UNSPEC,
      nic: route.nic,
      gateway: route.nextHop.key !== dst.key ? route.nextHop.bytes : undefined,
      prefsrc: route.src.bytes,
    },
    msg.header.nlmsg_seq,
    0,
  );
}

/**
 * Runs one NETLINK_ROUTE request against the stack. Dumps list what the
 * stack holds; changes need `ctx.privileged`. Throws SysError for the
 * NLMSG_ERROR the caller sends back.
 */
export function routeRequest(ctx: RouteContext, msg: NetlinkMessage): RouteReply {
  const { nlmsg_type: type, nlmsg_flags: flags, nlmsg_seq: seq } = msg.header;
  const dump = (flags & NLM_F.DUMP) === NLM_F.DUMP;
  // The family byte starts every rtnetlink body; a short body means AF_UNSPEC.
  const family = msg.body.length > 0 ? msg.body[0] : AF.UNSPEC;
  switch (type) {
    case RTM.GETLINK: {
      if (dump) return { dump, messages: ctx.stack.listNics().map((n) => linkMessage(ctx, n, seq, NLM_F.MULTI)) };
      const ifm = decodeBody(Ifinfomsg, msg.body);
      if (!ifm) throw new SysError(Errno.EINVAL);
      const nic = requestedNic(ctx, ifm.ifi_index, parseAttributes(msg.body, Ifinfomsg.size));
      return { dump: false, messages: [linkMessage(ctx, nic, seq, 0)] };
    }
    case RTM.GETADDR: {
      const messages: Uint8Array[] = [];
      for (const nic of ctx.stack.listNics()) {
        for (const a of nic.addresses) {
          if (family !== AF.UNSPEC && family !== familyOf(a.address)) continue;
          messages.push(addressMessage(ctx, nic, a.address, a.prefixLen, seq, NLM_F.MULTI));
        }
      }
      return { dump: true, messages };
    }
    case RTM.GETROUTE: {
      if (!dump) return { dump: false, messages: [routeLookup(ctx, msg)] };
      const rows = routeRows(ctx.stack).filter((r) => family === AF.UNSPEC || r.family === family);
      return { dump: true, messages: rows.map((r) => routeMessage(ctx, r, seq, NLM_F.MULTI)) };
    }
    case RTM.GETNEIGH:
      return { dump: true, messages: neighborMessages(ctx, family, seq) };
    case RTM.NEWLINK:
    case RTM.SETLINK:
      newLink(ctx, msg);
      return { dump: false, messages: [] };
    case RTM.DELLINK: {
      const ifm = decodeBody(Ifinfomsg, msg.body);
      if (!ifm) throw new SysError(Errno.EINVAL);
      const nic = requestedNic(ctx, ifm.ifi_index, parseAttributes(msg.body, Ifinfomsg.size));
      requirePrivilege(ctx);
      // A TUN/TAP goes (its file is left unattached, as tun_detach_all leaves it); Linux refuses to delete lo,
      // and the interfaces runsc gave the sandbox (eth0) stay.
      const tun = findTunDevice(ctx.stack, nic.name);
      if (!tun) throw new SysError(Errno.EOPNOTSUPP);
      destroyTunDevice(ctx.stack, tun);
      return { dump: false, messages: [] };
    }
    case RTM.NEWADDR:
    case RTM.DELADDR:
      changeAddress(ctx, msg, type === RTM.NEWADDR);
      return { dump: false, messages: [] };
    case RTM.NEWROUTE:
    case RTM.DELROUTE:
      changeRoute(ctx, msg, type === RTM.NEWROUTE);
      return { dump: false, messages: [] };
    default:
      throw new SysError(Errno.EOPNOTSUPP);
  }
}
