// Conversions between socket addresses (what applications see) and stack
// addresses, including IPv4-mapped IPv6 for dual-stack sockets.

import { AF, Errno, SysError } from '../abi.js';
import { IpAddress } from '../wire/address.js';
import type { SockAddr } from './types.js';

/** The IP version of a socket family; EAFNOSUPPORT otherwise. */
export function familyVersion(family: number): 4 | 6 {
  if (family === AF.INET) return 4;
  if (family === AF.INET6) return 6;
  throw new SysError(Errno.EAFNOSUPPORT);
}

/**
 * Parses a sockaddr given to a socket of `family`: the families must match
 * (EAFNOSUPPORT), ports must be 16-bit (EINVAL). IPv4-mapped IPv6 addresses
 * become plain IPv4 addresses; callers reject them on IPV6_V6ONLY sockets.
 */
export function parseSockAddr(family: number, sa: SockAddr): { ip: IpAddress; port: number } {
  if (sa.family !== family) throw new SysError(Errno.EAFNOSUPPORT);
  if (!Number.isInteger(sa.port) || sa.port < 0 || sa.port > 0xffff) throw new SysError(Errno.EINVAL);
  let ip = IpAddress.parse(sa.addr);
  if (ip.version !== familyVersion(family)) throw new SysError(Errno.EINVAL);
  if (ip.isV4Mapped) ip = ip.unmapV4();
  return { ip, port: sa.port };
}

/** Formats an address as seen by a socket of `family` (IPv4 on an IPv6 socket is mapped). */
export function toSockAddr(family: number, ip: IpAddress, port: number): SockAddr {
  if (family === AF.INET6 && ip.version === 4) {
    const b = new Uint8Array(16);
    b[10] = 0xff;
    b[11] = 0xff;
    b.set(ip.bytes, 12);
    if (ip.isUnspecified) return { family, addr: '::', port, flowinfo: 0, scopeId: 0 };
    return { family, addr: IpAddress.fromBytes(b).key, port, flowinfo: 0, scopeId: 0 };
  }
  return family === AF.INET6 ? { family, addr: ip.key, port, flowinfo: 0, scopeId: 0 } : { family, addr: ip.key, port };
}
