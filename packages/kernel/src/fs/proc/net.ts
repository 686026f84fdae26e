import { AF, ARPHRD, ATF, Errno, RT_TABLE, RTF, SOCK, SysError } from '@tvisor/abi';
import { IpAddress, TcpSocket, TcpState, type Nic, type SockAddr, type Stack } from '@tvisor/netstack';
import type { KernfsFilesystem, StaticDirectory } from '@tvisor/vfs';
import type { Kernel } from '../../kernel.js';
import { InetSocket } from '../../net/inet/inet-socket.js';
import { sandboxStack } from '../../net/inet/stack.js';
import { routeRows } from '../../net/netlink/route.js';
import { liveSockets } from '../../net/registry.js';
import type { SocketImpl } from '../../net/socket.js';
import { UnixSocket } from '../../net/unix/unix-socket.js';
import { NET_SYSCTL_DEFAULTS, netSysctl, setNetSysctl } from '../../net/sysctl.js';

/** Linux pads each /proc/net/tcp line to TMPSZ - 1 = 149 characters, udp and route lines to 127. */
const TCP_LINE = 149;
const UDP_LINE = 127;
/** __SO_ACCEPTCON, the Flags bit /proc/net/unix shows for a listening socket. */
const SO_ACCEPTCON = 1 << 16;
/** socket_state values (SS_UNCONNECTED, SS_CONNECTED) of /proc/net/unix's St column. */
const SS_UNCONNECTED = 1;
const SS_CONNECTED = 3;
/** IPV6_ADDR_LOOPBACK / IPV6_ADDR_LINKLOCAL: the scope column of /proc/net/if_inet6. */
const IPV6_SCOPE_LOOPBACK = 0x10;
const IPV6_SCOPE_LINKLOCAL = 0x20;
/** %pK as an unprivileged reader sees it (kptr_restrict). */
const NULL_POINTER = '0000000000000000';

const hex = (n: number, width: number) => (n >>> 0).toString(16).toUpperCase().padStart(width, '0');
const pad = (line: string, width: number) => line.padEnd(width, ' ');

/** An IPv4 address as /proc/net prints it: the u32 in memory order read as a little-endian number. */
function ipv4Hex(bytes: Uint8Array): string {
  return hex(bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24), 8);
}

/** An IPv6 address as four little-endian u32 words. */
function ipv6Hex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 16; i += 4) s += ipv4Hex(bytes.subarray(i, i + 4));
  return s;
}

/** An address as %pi6 prints it (32 lowercase hex digits). */
function ipv6Plain(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

interface InetRow {
  local: SockAddr;
  remote: SockAddr;
  state: number;
  txQueue: number;
  rxQueue: number;
  uid: number;
  inode: number;
}

function peerOrAny(s: InetSocket): SockAddr {
  try {
    return s.inner.getpeername();
  } catch {
    return { family: s.family, addr: s.family === AF.INET6 ? '::' : '0.0.0.0', port: 0 };
  }
}

/** The sandbox's sockets of one family and type, as /proc/net rows. */
function inetRows(kernel: Kernel, family: number, type: number): InetRow[] {
  const rows: InetRow[] = [];
  for (const s of liveSockets(kernel)) {
    if (!(s instanceof InetSocket) || s.family !== family || s.type !== type) continue;
    const remote = peerOrAny(s);
    const listening = s.inner instanceof TcpSocket && s.inner.endpoint.state === TcpState.LISTEN;
    const state = s.inner instanceof TcpSocket ? s.inner.endpoint.state : remote.port !== 0 ? TcpState.ESTABLISHED : TcpState.CLOSE;
    const st = s.sockInode.stat();
    rows.push({
      local: s.inner.getsockname(),
      remote,
      state,
      txQueue: listening ? 0 : s.outq(),
      rxQueue: listening ? 0 : s.inq(),
      uid: st.uid,
      inode: st.ino,
    });
  }
  return rows;
}

function addrHex(sa: SockAddr, family: number): string {
  const bytes = IpAddress.parse(sa.addr).bytes;
  return `${family === AF.INET ? ipv4Hex(bytes) : ipv6Hex(bytes)}:${hex(sa.port, 4)}`;
}

/** /proc/net/tcp and tcp6 (Linux's tcp4_seq_show / tcp6_seq_show; timers are not reported). */
export function procNetTcp(kernel: Kernel, family: number): string {
  const rows = inetRows(kernel, family, SOCK.STREAM);
  const body = rows.map((r, i) => {
    const line =
      `${String(i).padStart(4)}: ${addrHex(r.local, family)} ${addrHex(r.remote, family)} ${hex(r.state, 2)} ` +
      `${hex(r.txQueue, 8)}:${hex(r.rxQueue, 8)} 00:00000000 00000000 ${String(r.uid).padStart(5)} ${String(0).padStart(8)} ${r.inode} 1 ${NULL_POINTER} 100 0 0 10 0`;
    return family === AF.INET ? pad(line, TCP_LINE) : line;
  });
  const header =
    family === AF.INET
      ? pad('  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode', TCP_LINE)
      : '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
  return [header, ...body].map((l) => l + '\n').join('');
}

/** /proc/net/udp, udp6 and raw (udp4_format_sock's layout; raw sockets do not exist here, so raw lists none). */
export function procNetUdp(kernel: Kernel, family: number, type: number): string {
  const rows = type === SOCK.DGRAM ? inetRows(kernel, family, SOCK.DGRAM) : [];
  const body = rows.map((r, i) => {
    const line =
      `${String(i).padStart(5)}: ${addrHex(r.local, family)} ${addrHex(r.remote, family)} ${hex(r.state, 2)} ` +
      `${hex(r.txQueue, 8)}:${hex(r.rxQueue, 8)} 00:00000000 00000000 ${String(r.uid).padStart(5)} ${String(0).padStart(8)} ${r.inode} 2 ${NULL_POINTER} 0`;
    return family === AF.INET ? pad(line, UDP_LINE) : line;
  });
  const header =
    family === AF.INET
      ? pad('   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops', UDP_LINE)
      : '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops';
  return [header, ...body].map((l) => l + '\n').join('');
}

/** The path column of /proc/net/unix: the bound path, or @name for an abstract name. */
function unixPath(s: UnixSocket): string {
  const a = s.address;
  if (!a || a.length <= 2) return '';
  const name = a.subarray(2);
  if (name[0] === 0) return '@' + new TextDecoder().decode(name.subarray(1)).replace(/\0/g, '@');
  const end = name.indexOf(0);
  return new TextDecoder().decode(end < 0 ? name : name.subarray(0, end));
}

/** /proc/net/unix (unix_seq_show). */
export function procNetUnix(kernel: Kernel): string {
  const lines = ['Num       RefCount Protocol Flags    Type St Inode Path'];
  for (const s of liveSockets(kernel)) {
    if (!(s instanceof UnixSocket)) continue;
    const listening = s.state === 'listening';
    const st = s.state === 'connected' ? SS_CONNECTED : SS_UNCONNECTED;
    const path = unixPath(s);
    lines.push(
      `${NULL_POINTER}: ${hex(2, 8)} ${hex(0, 8)} ${hex(listening ? SO_ACCEPTCON : 0, 8)} ${hex(s.type, 4)} ${hex(st, 2)} ${String(s.sockInode.ino).padStart(5)}${path ? ' ' + path : ''}`,
    );
  }
  return lines.map((l) => l + '\n').join('');
}

/** /proc/net/dev: per-NIC counters (errors, drops and the rest are not counted by netstack and read 0). */
export function procNetDev(stack: Stack): string {
  const lines = [
    'Inter-|   Receive                                                |  Transmit',
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
  ];
  for (const nic of stack.listNics()) {
    const c = nic.counters;
    const b = nic.byteCounters;
    const w = (n: number, width: number) => String(n).padStart(width);
    lines.push(
      `${nic.name.padStart(6)}:${w(b.rxBytes, 8)} ${w(c.rxFrames, 7)} ${w(0, 4)} ${w(c.rxDropped, 4)} ${w(0, 4)} ${w(0, 5)} ${w(0, 10)} ${w(0, 9)} ` +
        `${w(b.txBytes, 8)} ${w(c.txFrames, 7)} ${w(0, 4)} ${w(0, 4)} ${w(0, 4)} ${w(0, 5)} ${w(0, 7)} ${w(0, 10)}`,
    );
  }
  return lines.map((l) => l + '\n').join('');
}

function ipv6ScopeFlag(a: IpAddress): number {
  if (a.isLoopback) return IPV6_SCOPE_LOOPBACK;
  if (a.bytes[0] === 0xfe && (a.bytes[1] & 0xc0) === 0x80) return IPV6_SCOPE_LINKLOCAL;
  return 0;
}

/** /proc/net/if_inet6: one line per IPv6 address. */
export function procNetIfInet6(stack: Stack): string {
  let out = '';
  for (const nic of stack.listNics()) {
    for (const a of nic.addresses) {
      if (a.address.version !== 6) continue;
      const h2 = (n: number) => n.toString(16).padStart(2, '0');
      out += `${ipv6Plain(a.address.bytes)} ${h2(nic.id)} ${h2(a.prefixLen)} ${h2(ipv6ScopeFlag(a.address))} ${h2(0x80)} ${nic.name.padStart(8)}\n`;
    }
  }
  return out;
}

/** /proc/net/route: the IPv4 main table. */
export function procNetRoute(stack: Stack): string {
  const lines = [pad('Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT', UDP_LINE)];
  for (const r of routeRows(stack)) {
    if (r.family !== AF.INET || r.table !== RT_TABLE.MAIN) continue;
    let flags = RTF.UP;
    if (r.gateway) flags |= RTF.GATEWAY;
    if (r.dstLen === 32) flags |= RTF.HOST;
    const mask = new Uint8Array(4);
    for (let i = 0; i < r.dstLen; i++) mask[i >> 3] |= 0x80 >> (i & 7);
    const gw = r.gateway ?? new Uint8Array(4);
    lines.push(pad(`${r.nic.name}\t${ipv4Hex(r.dst)}\t${ipv4Hex(gw)}\t${hex(flags, 4)}\t0\t0\t0\t${ipv4Hex(mask)}\t0\t0\t0`, UDP_LINE));
  }
  return lines.map((l) => l + '\n').join('');
}

/** /proc/net/ipv6_route: every IPv6 route, local table included, as Linux lists them. */
export function procNetIpv6Route(stack: Stack): string {
  let out = '';
  const zero = new Uint8Array(16);
  for (const r of routeRows(stack)) {
    if (r.family !== AF.INET6) continue;
    let flags = RTF.UP;
    if (r.gateway) flags |= RTF.GATEWAY;
    if (r.dstLen === 128) flags |= RTF.HOST;
    const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
    out += `${ipv6Plain(r.dst)} ${h(r.dstLen, 2)} ${ipv6Plain(zero)} 00 ${ipv6Plain(r.gateway ?? zero)} ${h(r.table === RT_TABLE.LOCAL ? 0 : 256, 8)} ${h(1, 8)} ${h(0, 8)} ${h(flags, 8)} ${r.nic.name.padStart(8)}\n`;
  }
  return out;
}

/** /proc/net/arp: the IPv4 neighbour caches. */
export function procNetArp(stack: Stack): string {
  let out = 'IP address       HW type     Flags       HW address            Mask     Device\n';
  for (const nic of stack.listNics() as Nic[]) {
    for (const n of nic.neighbors4.list()) {
      const mac = [...n.mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
      const flags = ATF.COM | (n.permanent ? ATF.PERM : 0);
      out += `${n.ip.padEnd(16)} 0x${ARPHRD.ETHER.toString(16).padEnd(10)}0x${flags.toString(16).padEnd(10)}${mac.padEnd(17)}     ${'*'.padEnd(8)} ${nic.name}\n`;
    }
  }
  return out;
}

/** /proc/net/sockstat: sockets in use by protocol. */
export function procNetSockstat(kernel: Kernel): string {
  const socks = liveSockets(kernel);
  const count = (f: (s: SocketImpl) => boolean) => socks.filter(f).length;
  const tcp = count((s) => s instanceof InetSocket && s.family === AF.INET && s.type === SOCK.STREAM);
  const udp = count((s) => s instanceof InetSocket && s.family === AF.INET && s.type === SOCK.DGRAM);
  return (
    `sockets: used ${socks.length}\nTCP: inuse ${tcp} orphan 0 tw 0 alloc ${tcp} mem 0\nUDP: inuse ${udp} mem 0\n` +
    `UDPLITE: inuse 0\nRAW: inuse 0\nFRAG: inuse 0 memory 0\n`
  );
}

/** Header and value lines of a /proc/net/snmp or netstat section (a counter netstack does not keep reads 0). */
function mibSection(name: string, fields: string[], values: Record<string, number> = {}): string {
  return `${name}: ${fields.join(' ')}\n${name}: ${fields.map((f) => String(values[f] ?? 0)).join(' ')}\n`;
}

/** /proc/net/snmp: the Ip, Icmp, Tcp, Udp MIB layouts; only the values the sentry knows (CurrEstab, the UDP datagram counts) are filled in. */
export function procNetSnmp(kernel: Kernel): string {
  const udp = sandboxStack(kernel).udp.mib[4];
  const established = inetRows(kernel, AF.INET, SOCK.STREAM).filter((r) => r.state === TcpState.ESTABLISHED || r.state === TcpState.CLOSE_WAIT).length;
  return (
    mibSection(
      'Ip',
      'Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates OutTransmits'.split(
        ' ',
      ),
      { Forwarding: 2, DefaultTTL: 64 },
    ) +
    mibSection(
      'Icmp',
      'InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps OutMsgs OutErrors OutRateLimitGlobal OutRateLimitHost OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps OutTimestamps OutTimestampReps OutAddrMasks OutAddrMaskReps'.split(
        ' ',
      ),
    ) +
    mibSection(
      'Tcp',
      'RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors'.split(
        ' ',
      ),
      { RtoAlgorithm: 1, RtoMin: 200, RtoMax: 120000, MaxConn: -1, CurrEstab: established },
    ) +
    mibSection('Udp', 'InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors'.split(' '), {
      InDatagrams: udp.inDatagrams,
      NoPorts: udp.noPorts,
      OutDatagrams: udp.outDatagrams,
    }) +
    mibSection('UdpLite', 'InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors'.split(' '))
  );
}

/** /proc/net/netstat: the TcpExt and IpExt layouts (zeros: netstack keeps no such counters). */
export function procNetNetstat(): string {
  return (
    mibSection(
      'TcpExt',
      'SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled RcvPruned OfoPruned OutOfWindowIcmps LockDroppedIcmps ArpFilter TW TWRecycled TWKilled PAWSActive PAWSEstab DelayedACKs DelayedACKLocked DelayedACKLost ListenOverflows ListenDrops TCPTimeouts TCPDSACKRecv TCPDSACKOfoRecv TCPSynRetrans TCPOrigDataSent'.split(
        ' ',
      ),
    ) +
    mibSection(
      'IpExt',
      'InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts OutBcastPkts InOctets OutOctets InMcastOctets OutMcastOctets InBcastOctets OutBcastOctets InCsumErrors InNoECTPkts InECT1Pkts InECT0Pkts InCEPkts ReasmOverlaps'.split(
        ' ',
      ),
    )
  );
}

/** A new /proc/PID/net directory: the sandbox has one network namespace, so every process sees the same files. */
export function procNetDir(fs: KernfsFilesystem, kernel: Kernel): StaticDirectory {
  const stack = () => sandboxStack(kernel);
  const net = fs.dir({ perm: 0o555 });
  const files: Record<string, () => string> = {
    dev: () => procNetDev(stack()),
    tcp: () => procNetTcp(kernel, AF.INET),
    tcp6: () => procNetTcp(kernel, AF.INET6),
    udp: () => procNetUdp(kernel, AF.INET, SOCK.DGRAM),
    udp6: () => procNetUdp(kernel, AF.INET6, SOCK.DGRAM),
    raw: () => procNetUdp(kernel, AF.INET, SOCK.RAW),
    raw6: () => procNetUdp(kernel, AF.INET6, SOCK.RAW),
    unix: () => procNetUnix(kernel),
    if_inet6: () => procNetIfInet6(stack()),
    route: () => procNetRoute(stack()),
    ipv6_route: () => procNetIpv6Route(stack()),
    arp: () => procNetArp(stack()),
    snmp: () => procNetSnmp(kernel),
    netstat: () => procNetNetstat(),
    sockstat: () => procNetSockstat(kernel),
  };
  for (const [name, text] of Object.entries(files)) net.add(name, fs.file(text));
  return net;
}

/** Settings under /proc/sys/net, per kernel: what was last written, else Linux's default. */
/**
 * Adds /proc/sys/net: the settings of net/sysctl.ts. Root may write them;
 * the value is kept and read back, but netstack's behaviour follows only
 * ping_group_range (who may open ICMP datagram sockets).
 */
export function addProcSysNet(fs: KernfsFilesystem, sys: StaticDirectory, kernel: Kernel): void {
  const sysNet = sys.add('net', fs.dir({ perm: 0o555 }));
  const dirs = new Map<string, StaticDirectory>();
  const dirOf = (path: string): StaticDirectory => {
    let d = dirs.get(path);
    if (d) return d;
    const cut = path.lastIndexOf('/');
    const parent = cut < 0 ? sysNet : dirOf(path.slice(0, cut));
    d = parent.add(path.slice(cut + 1), fs.dir({ perm: 0o555 }));
    dirs.set(path, d);
    return d;
  };
  for (const path of NET_SYSCTL_DEFAULTS.keys()) {
    const cut = path.lastIndexOf('/');
    dirOf(path.slice(0, cut)).add(
      path.slice(cut + 1),
      fs.file(
        {
          read: () => `${netSysctl(kernel, path)}\n`,
          write: (data) => {
            const text = new TextDecoder().decode(data).trim();
            if (!/^-?[0-9]+([ \t]+-?[0-9]+)*$/.test(text)) throw new SysError(Errno.EINVAL);
            setNetSysctl(kernel, path, text.split(/[ \t]+/).join('\t'));
            return data.length;
          },
        },
        { perm: 0o644 },
      ),
    );
  }
}
