// socket(2): the entry point for creating sockets on a stack.

import { AF, Errno, IPPROTO, SOCK, SysError } from '../abi.js';
import type { Stack } from '../stack/stack.js';
import { TcpSocket } from './tcp-socket.js';
import { PingSocket } from './ping-socket.js';
import { RawSocket } from './raw-socket.js';
import { UdpSocket } from './udp-socket.js';
import type { Socket } from './types.js';

/**
 * Creates a socket. `type` may carry SOCK_NONBLOCK/SOCK_CLOEXEC (ignored
 * here: every socket is non-blocking; descriptor flags are the kernel's).
 * Throws EAFNOSUPPORT, ESOCKTNOSUPPORT or EPROTONOSUPPORT like socket(2).
 */
export function createSocket(stack: Stack, family: number, type: number, protocol = 0): Socket {
  if (family !== AF.INET && family !== AF.INET6) throw new SysError(Errno.EAFNOSUPPORT);
  const base = type & ~(SOCK.NONBLOCK | SOCK.CLOEXEC);
  if (base === SOCK.STREAM) {
    if (protocol !== 0 && protocol !== IPPROTO.TCP) throw new SysError(Errno.EPROTONOSUPPORT);
    return new TcpSocket(stack, family);
  }
  if (base === SOCK.DGRAM) {
    // ICMP datagram ("ping") sockets: IPPROTO_ICMP on AF_INET, IPPROTO_ICMPV6 on AF_INET6.
    if ((family === AF.INET && protocol === IPPROTO.ICMP) || (family === AF.INET6 && protocol === IPPROTO.ICMPV6)) return new PingSocket(stack, family);
    if (protocol !== 0 && protocol !== IPPROTO.UDP) throw new SysError(Errno.EPROTONOSUPPORT);
    return new UdpSocket(stack, family);
  }
  // Raw sockets need CAP_NET_RAW: that check is the embedder's (the kernel knows the caller's credentials).
  if (base === SOCK.RAW) return new RawSocket(stack, family, protocol);
  throw new SysError(Errno.ESOCKTNOSUPPORT);
}
