// Decoding of setsockopt values, with Linux's clamping rules.

import { Errno, SO, SysError } from '../abi.js';
import type { LingerOption, SockOptValue } from './types.js';

/** Linux's net.core.rmem_max / wmem_max: the most SO_RCVBUF/SO_SNDBUF may request. */
export const SOCKET_BUF_MAX = 212992;
/** Linux's net.core.rmem_default / wmem_default: a new socket's SO_RCVBUF/SO_SNDBUF. */
export const SOCKET_BUF_DEFAULT = 212992;
/** SOCK_MIN_RCVBUF and SOCK_MIN_SNDBUF on x86-64: the floors of a requested size. */
export const SOCKET_MIN_RCVBUF = 2304;
export const SOCKET_MIN_SNDBUF = 4608;

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
 * SO_RCVBUFFORCE/SO_SNDBUFFORCE (the caller checked CAP_NET_ADMIN): no sysctl
 * maximum, a negative request counts as 0, and the doubling stays within an
 * int (Linux caps the request at INT_MAX / 2).
 */
export function forcedBufferSize(v: SockOptValue, min: number): number {
  const n = Math.min(Math.max(intValue(v), 0), 0x3fffffff);
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

/** SO_RCVBUF and SO_SNDBUF of a socket that keeps its own (ping and raw sockets). */
export class SocketBuffers {
  rcv = SOCKET_BUF_DEFAULT;
  snd = SOCKET_BUF_DEFAULT;

  /** Takes SO_RCVBUF or SO_SNDBUF (or their FORCE forms) as Linux does (clamped, doubled, floored); false for any other option. */
  set(name: number, value: SockOptValue): boolean {
    if (name === SO.RCVBUF) this.rcv = bufferSize(value, SOCKET_MIN_RCVBUF);
    else if (name === SO.SNDBUF) this.snd = bufferSize(value, SOCKET_MIN_SNDBUF);
    else if (name === SO.RCVBUFFORCE) this.rcv = forcedBufferSize(value, SOCKET_MIN_RCVBUF);
    else if (name === SO.SNDBUFFORCE) this.snd = forcedBufferSize(value, SOCKET_MIN_SNDBUF);
    else return false;
    return true;
  }

  /** SO_RCVBUF's or SO_SNDBUF's value; undefined for any other option. */
  get(name: number): number | undefined {
    return name === SO.RCVBUF ? this.rcv : name === SO.SNDBUF ? this.snd : undefined;
  }
}

/**
 * The SOL_SOCKET options whose answer only describes the socket, for one that
 * never listens and keeps no pending error (ping and raw sockets): SO_TYPE,
 * SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN and SO_ERROR. Undefined for any other.
 */
export function describingOption(name: number, socket: { readonly type: number; readonly family: number; readonly protocol: number }): number | undefined {
  switch (name) {
    case SO.TYPE:
      return socket.type;
    case SO.DOMAIN:
      return socket.family;
    case SO.PROTOCOL:
      return socket.protocol;
    case SO.ERROR:
    case SO.ACCEPTCONN:
      return 0;
    default:
      return undefined;
  }
}
