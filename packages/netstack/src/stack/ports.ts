// Port reservations for one transport protocol, with Linux's bind(2)
// sharing rules for SO_REUSEADDR and SO_REUSEPORT.

import { Errno, SysError } from '../abi.js';
import type { IpAddress } from '../wire/address.js';

/** Linux's default net.ipv4.ip_local_port_range. */
export const EPHEMERAL_FIRST = 32768;
export const EPHEMERAL_LAST = 60999;

/** One socket's claim on a port. */
export interface PortBinding {
  /** Bound address; unspecified means "any" of the family. */
  addr: IpAddress;
  port: number;
  /** An IPv6 wildcard binding also covers IPv4 unless v6only. */
  v6only: boolean;
  reuseAddr: boolean;
  reusePort: boolean;
  /** For TCP: whether the owner is listening (SO_REUSEADDR never shares with listeners). */
  isListening(): boolean;
  /** For TCP: connect(2) picked the port (Linux's fastreuse -1 buckets): other connects may share it with a different peer. */
  byConnect?: boolean;
}

/** The ports an unbound socket is given (net.ipv4.ip_local_port_range), inclusive. */
export interface PortRange {
  first: number;
  last: number;
}

/** net.ipv4.ip_unprivileged_port_start's default: the lowest first port ip_local_port_range takes. */
const UNPRIVILEGED_PORT_START = 1024;

/** Checks an ip_local_port_range write as Linux does (ipv4_local_port_range): unprivileged first <= last <= 65535. */
export function validPortRange(first: number, last: number): boolean {
  return Number.isInteger(first) && Number.isInteger(last) && first >= UNPRIVILEGED_PORT_START && last <= 0xffff && first <= last;
}

export class PortTable {
  private byPort = new Map<number, PortBinding[]>();

  constructor(
    /** UDP lets SO_REUSEADDR sockets share a port unconditionally; TCP not with listeners. */
    private readonly datagram: boolean,
    private readonly random: () => number,
    /** Where ephemeral ports come from (read at each reservation, so a sysctl write applies to the next one). */
    private readonly range: () => PortRange = () => ({ first: EPHEMERAL_FIRST, last: EPHEMERAL_LAST }),
  ) {}

  /**
   * Reserves b.port (or, if 0, an ephemeral port written back into b.port).
   * Throws EADDRINUSE on conflict, `exhausted` (EADDRNOTAVAIL unless said) when
   * no ephemeral port is free: bind(2) and listen(2) say EADDRINUSE, UDP's
   * autobind EAGAIN (inet_autobind).
   * A TCP ephemeral port is one nobody holds (inet_csk_find_open_port); a UDP
   * one only needs no conflict, so SO_REUSEADDR sockets may share it
   * (udp_lib_get_port).
   */
  reserve(b: PortBinding, exhausted: number = Errno.EADDRNOTAVAIL): void {
    if (b.port !== 0) {
      if (this.conflicts(b)) throw new SysError(Errno.EADDRINUSE);
      this.add(b);
      return;
    }
    const { first, last } = this.range();
    const span = last - first + 1;
    const start = Math.floor(this.random() * span);
    for (let i = 0; i < span; i++) {
      const port = first + ((start + i) % span);
      if (this.datagram) {
        b.port = port;
        if (this.conflicts(b)) continue;
      } else if (this.byPort.has(port)) continue;
      b.port = port;
      this.add(b);
      return;
    }
    b.port = 0;
    throw new SysError(exhausted);
  }

  /**
   * An ephemeral port for connect(2) on an unbound TCP socket
   * (__inet_hash_connect): a free port, or one only other connects hold when
   * `tupleFree(port)` says this connection's 4-tuple is free there.
   * EADDRNOTAVAIL when there is none.
   */
  reserveForConnect(b: PortBinding, tupleFree: (port: number) => boolean): void {
    const { first, last } = this.range();
    const span = last - first + 1;
    const start = Math.floor(this.random() * span);
    b.byConnect = true;
    for (let i = 0; i < span; i++) {
      const port = first + ((start + i) % span);
      const held = this.byPort.get(port);
      if (held && !(held.every((e) => e.byConnect) && tupleFree(port))) continue;
      if (!held && !tupleFree(port)) continue;
      b.port = port;
      this.add(b);
      return;
    }
    throw new SysError(Errno.EADDRNOTAVAIL);
  }

  /** Whether `b` (not yet or already reserved) conflicts with another binding. */
  conflicts(b: PortBinding): boolean {
    for (const e of this.byPort.get(b.port) ?? []) {
      if (e === b || !overlap(b, e)) continue;
      if (b.reusePort && e.reusePort) continue;
      // TCP (inet_bind_conflict): SO_REUSEADDR on both shares with any socket that is not listening,
      // so a new listener may take the port of a connection in TIME_WAIT, but never a listener's.
      if (b.reuseAddr && e.reuseAddr && (this.datagram || !e.isListening())) continue;
      return true;
    }
    return false;
  }

  /** Records a binding that shares an existing reservation (an accepted connection on its listener's port). */
  adopt(b: PortBinding): void {
    this.add(b);
  }

  release(b: PortBinding): void {
    const list = this.byPort.get(b.port);
    if (!list) return;
    const i = list.indexOf(b);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byPort.delete(b.port);
  }

  /** All bindings on a port. */
  bindings(port: number): readonly PortBinding[] {
    return this.byPort.get(port) ?? [];
  }

  private add(b: PortBinding): void {
    let list = this.byPort.get(b.port);
    if (!list) this.byPort.set(b.port, (list = []));
    list.push(b);
  }
}

/** Whether two bindings' address sets intersect. */
function overlap(a: PortBinding, b: PortBinding): boolean {
  if (a.addr.version !== b.addr.version) {
    const v6 = a.addr.version === 6 ? a : b;
    return v6.addr.isUnspecified && !v6.v6only;
  }
  return a.addr.isUnspecified || b.addr.isUnspecified || a.addr.key === b.addr.key;
}
