// Raw struct sockaddr_in / sockaddr_in6 bytes <-> SockAddr, for callers (the
// kernel) that hold guest memory. Layouts come from @tvisor/abi's codecs.

import { AF, Errno, SockaddrIn, SockaddrIn6, SysError } from '../abi.js';
import { IpAddress } from '../wire/address.js';
import type { SockAddr } from './types.js';

/**
 * Decodes a sockaddr of `bytes.length` bytes (the caller's addrlen). EINVAL
 * if it is too short for its family, EAFNOSUPPORT for other families;
 * AF_UNSPEC (connect() dissolving a UDP association) decodes with an empty address.
 */
export function sockAddrFromBytes(bytes: Uint8Array): SockAddr {
  if (bytes.length < 2) throw new SysError(Errno.EINVAL);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const family = view.getUint16(0, true);
  if (family === AF.UNSPEC) return { family, addr: '', port: 0 };
  if (family === AF.INET) {
    if (bytes.length < SockaddrIn.size) throw new SysError(Errno.EINVAL);
    const sa = SockaddrIn.decode(view, 0);
    return { family, addr: IpAddress.fromBytes(sa.sin_addr, 0, 4).key, port: sa.sin_port };
  }
  if (family === AF.INET6) {
    if (bytes.length < SockaddrIn6.size - 4) throw new SysError(Errno.EINVAL); // Linux accepts the old 24-byte form
    const full = new Uint8Array(SockaddrIn6.size);
    full.set(bytes.subarray(0, Math.min(bytes.length, SockaddrIn6.size)));
    const sa = SockaddrIn6.decode(new DataView(full.buffer), 0);
    return { family, addr: IpAddress.fromBytes(sa.sin6_addr, 0, 16).key, port: sa.sin6_port, flowinfo: sa.sin6_flowinfo, scopeId: sa.sin6_scope_id };
  }
  throw new SysError(Errno.EAFNOSUPPORT);
}

/** Encodes a SockAddr as struct sockaddr_in (16 bytes) or sockaddr_in6 (28 bytes). */
export function sockAddrToBytes(sa: SockAddr): Uint8Array {
  const ip = IpAddress.parse(sa.addr);
  if (sa.family === AF.INET && ip.version === 4) {
    const out = new Uint8Array(SockaddrIn.size);
    SockaddrIn.encode(new DataView(out.buffer), 0, { sin_family: AF.INET, sin_port: sa.port, sin_addr: ip.bytes });
    return out;
  }
  if (sa.family === AF.INET6 && ip.version === 6) {
    const out = new Uint8Array(SockaddrIn6.size);
    SockaddrIn6.encode(new DataView(out.buffer), 0, {
      sin6_family: AF.INET6,
      sin6_port: sa.port,
      sin6_flowinfo: sa.flowinfo ?? 0,
      sin6_addr: ip.bytes,
      sin6_scope_id: sa.scopeId ?? 0,
    });
    return out;
  }
  throw new SysError(Errno.EAFNOSUPPORT);
}
