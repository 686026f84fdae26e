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

export function lingerValue(v: SockOptValue): LingerOption {
  if (typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && 'onoff' in v) {
    return { onoff: Boolean(v.onoff), linger: Math.max(0, Math.trunc(v.linger)) };
  }
  throw new SysError(Errno.EINVAL);
}
