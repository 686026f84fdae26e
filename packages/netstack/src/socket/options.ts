// Decoding of setsockopt values, with Linux's clamping rules.

import { Errno, SysError } from '../abi.js';
import type { LingerOption, SockOptValue } from './types.js';

/** Linux's net.core.rmem_max / wmem_max: the most SO_RCVBUF/SO_SNDBUF may request. */
export const SOCKET_BUF_MAX = 212992;

/** An int option's value (booleans accepted); EINVAL otherwise. */
export function intValue(v: SockOptValue): number {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Uint8Array && v.length >= 4) return new DataView(v.buffer, v.byteOffset, 4).getInt32(0, true);
  throw new SysError(Errno.EINVAL);
}

/**
 * SO_RCVBUF/SO_SNDBUF: clamp to the sysctl maximum, then double
 * (sock_setsockopt), with a floor. Linux clamps the value as unsigned, so a
 * negative request asks for the maximum.
 */
export function bufferSize(v: SockOptValue, min: number): number {
  const n = Math.min(intValue(v) >>> 0, SOCKET_BUF_MAX);
  return Math.max(min, n * 2);
}

/**
 * SO_LINGER's new setting from the old one, as Linux's sock_setsockopt: l_onoff 0
 * only clears the flag and keeps the old time (getsockopt reports it); a negative
 * l_linger is kept as given. Linux turns it into "no limit" and reports that
 * limit's seconds (LONG_MAX/HZ, a kernel-config number truncated to int); the
 * given value is what gVisor reports, and it is not 0, which would mean an
 * abortive close.
 */
export function lingerValue(v: SockOptValue, old: LingerOption): LingerOption {
  if (typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && 'onoff' in v) {
    if (!v.onoff) return { onoff: false, linger: old.linger };
    return { onoff: true, linger: Math.trunc(v.linger) | 0 };
  }
  throw new SysError(Errno.EINVAL);
}
