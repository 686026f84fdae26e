// `runsc do -network=sandbox`: the sandbox's own link. A veth pair joins the
// namespace runsc runs in (the "host end", with an address on the sandbox's
// subnet) to a new network namespace holding the other end as eth0. eth0
// keeps no address in the host kernel: netstack drives it through an
// AF_PACKET socket, so only the sandbox's stack answers for the sandbox's
// address and the host kernel never parses the app's packets.

import { execFileSync } from 'node:child_process';
import { addSandboxInterface, type Kernel } from '@tvisor/kernel';
import { PacketEndpoint } from '@tvisor/netstack/tap';
import { disablePeerOffloads, ipJsonIn, onlyLoopback, type IpLink, type IpRoute } from './netns-links.js';
import { UserError } from './oci/errors.js';
import { setUpOutboundNat, subnetOf, type OutboundNat } from './outbound-nat.js';

/** The sandbox's and the host end's addresses on the veth. */
export interface VethAddresses {
  /** The sandbox's address with prefix, e.g. 192.168.10.2/24. */
  sandbox: string;
  /** The host end's address with prefix: the subnet's first host address (the second if that is the sandbox's). */
  host: string;
}

function ipv4ToInt(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');
}

/** Parses -ip ("A.B.C.D" or "A.B.C.D/N", N in 8..30); a usage error names the value otherwise. */
export function vethAddresses(ip: string): VethAddresses {
  const [addr, prefixText = '24', extra] = ip.split('/');
  const value = ipv4ToInt(addr);
  const prefix = /^\d+$/.test(prefixText) ? Number(prefixText) : NaN;
  if (value === undefined || extra !== undefined || !(prefix >= 8 && prefix <= 30))
    throw new UserError(`invalid -ip "${ip}": an IPv4 address with an optional /8../30 prefix`, 2);
  const size = 2 ** (32 - prefix);
  const network = value - (value % size);
  if (value === network || value === network + size - 1) throw new UserError(`invalid -ip "${ip}": the subnet's network or broadcast address`, 2);
  const host = value === network + 1 ? network + 2 : network + 1;
  return { sandbox: `${intToIpv4(value)}/${prefix}`, host: `${intToIpv4(host)}/${prefix}` };
}

function ip(args: string[]): void {
  try {
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  } catch (e) {
    const err = e as { stderr?: string; code?: string };
    const why = err.code === 'ENOENT' ? 'the ip command (iproute2) is not installed' : (err.stderr ?? '').trim().split('\n')[0] || String(e);
    throw new UserError(`-network=sandbox: ip ${args.join(' ')}: ${why}`, 1);
  }
}

/** A sandbox link made for one `runsc do`; close() removes it. */
export class SandboxLink {
  private endpoint: PacketEndpoint | undefined;
  private nat: OutboundNat | undefined;
  private namespaceMade = false;
  private closed = false;

  private constructor(
    /** Name of the network namespace (under /run/netns) holding eth0. */
    readonly netns: string,
    /** The host end of the veth, in runsc's own namespace. */
    readonly hostIf: string,
    readonly addresses: VethAddresses,
  ) {}

  /**
   * Makes the namespace and veth pair, addresses the host end, and attaches
   * the kernel's stack to eth0 with the sandbox address and a default route
   * via the host end. Needs root (CAP_NET_ADMIN); fails with one line.
   * Outbound NAT (outbound-nat.ts) lets the sandbox reach beyond the host
   * end; where it cannot be set up, one line to `log` says why.
   */
  static create(kernel: Kernel, ipFlag: string, log: (line: string) => void = () => {}): SandboxLink {
    const addresses = vethAddresses(ipFlag);
    const link = new SandboxLink(`tvisor-${process.pid}`, `tvh${process.pid}`.slice(0, 15), addresses);
    try {
      link.setUp(kernel);
      link.nat = setUpOutboundNat(subnetOf(addresses.sandbox), link.hostIf, addresses.host.split('/')[0], log);
    } catch (e) {
      link.close();
      if (e instanceof UserError) throw e;
      throw new UserError(`-network=sandbox: ${e instanceof Error ? e.message : String(e)}`, 1);
    }
    return link;
  }

  private setUp(kernel: Kernel): void {
    const { netns, hostIf } = this;
    ip(['netns', 'add', netns]);
    this.namespaceMade = true;
    ip(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
    // No link-local address either: in the namespace the host kernel holds none at all on eth0.
    ip(['-n', netns, 'link', 'set', 'eth0', 'addrgenmode', 'none']);
    ip(['addr', 'add', this.addresses.host, 'dev', hostIf]);
    // The host's end keeps its offloads: the sandbox's AF_PACKET socket reads
    // its GSO segments whole (PACKET_VNET_HDR), far fewer frames per byte.
    ip(['link', 'set', hostIf, 'up']);
    ip(['-n', netns, 'link', 'set', 'eth0', 'up']);
    this.endpoint = new PacketEndpoint('eth0', { netns: `/run/netns/${netns}` });
    addSandboxInterface(kernel, {
      name: 'eth0',
      link: this.endpoint,
      addresses: [this.addresses.sandbox],
      routes: [{ destination: '0.0.0.0/0', gateway: this.addresses.host.split('/')[0] }],
    });
  }

  /** Stops the endpoint, removes the NAT and deletes the namespace (which takes the veth pair with it); idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.endpoint?.close();
    this.nat?.remove();
    if (this.namespaceMade) {
      try {
        execFileSync('ip', ['netns', 'del', this.netns], { stdio: 'ignore' });
      } catch {
        // Already gone: nothing to clean.
      }
    }
  }
}

/** What was taken from a container's namespace: an interface and what the sandbox's stack now holds for it. */
export interface TakenInterface {
  name: string;
  addresses: string[];
  routes: { destination: string; gateway?: string }[];
}

/**
 * The OCI runtime's network: the sandbox takes each Ethernet interface of
 * the container's network namespace at `path` (what docker or podman set
 * up: a veth with an address, a default route). For each: its addresses and
 * routes go to the sandbox's stack, are flushed from the host kernel's view
 * of the namespace, and netstack drives the link through an AF_PACKET
 * socket with the interface's MAC and MTU. The veth's peer, when it is in
 * runsc's own namespace (a bridge port), loses tx checksum offload so frames
 * arrive finished and MTU-sized.
 */
export function takeNamespaceInterfaces(
  kernel: Kernel,
  path: string,
  log: (msg: string) => void,
  opts: { peers: boolean } = { peers: true },
): TakenInterface[] {
  if (onlyLoopback(path)) return [];
  if (opts.peers) disablePeerOffloads(path, log);
  const links = ipJsonIn<IpLink[]>(path, ['addr', 'show']);
  const routes = ipJsonIn<IpRoute[]>(path, ['-4', 'route', 'show']);
  const taken: TakenInterface[] = [];
  for (const l of links) {
    if (l.link_type !== 'ether') continue;
    const addresses = (l.addr_info ?? [])
      .filter((a) => a.family === 'inet' || (a.family === 'inet6' && a.scope === 'global'))
      .map((a) => `${a.local}/${a.prefixlen}`);
    const own = routes
      .filter((r) => r.dev === l.ifname && (r.gateway !== undefined || r.protocol !== 'kernel'))
      .map((r) => ({ destination: r.dst === 'default' ? '0.0.0.0/0' : r.dst.includes('/') ? r.dst : `${r.dst}/32`, gateway: r.gateway }));
    const endpoint = new PacketEndpoint(l.ifname, { netns: path });
    execFileSync('nsenter', [`--net=${path}`, '--', 'ip', 'addr', 'flush', 'dev', l.ifname], { stdio: 'ignore' });
    addSandboxInterface(kernel, { name: l.ifname, link: endpoint, addresses, routes: own });
    taken.push({ name: l.ifname, addresses, routes: own });
  }
  return taken;
}
