// The BSD-socket surface the kernel (or any embedder) programs against.

import type { ReceiveFilter, SendOptions } from '../stack/types.js';

/** A socket address: AF_INET or AF_INET6, text address, port. */
export interface SockAddr {
  family: number;
  /** Dotted-quad or RFC 5952 text. IPv4 peers of dual-stack IPv6 sockets appear as ::ffff:a.b.c.d. */
  addr: string;
  port: number;
  /** IPv6 only; carried, not interpreted. */
  flowinfo?: number;
  scopeId?: number;
}

/** SO_LINGER's struct linger. */
export interface LingerOption {
  onoff: boolean;
  /** Seconds. */
  linger: number;
}

/**
 * Option values: integers (and booleans) for int options, LingerOption for
 * SO_LINGER, a string for TCP_CONGESTION, raw bytes for TCP_INFO (encoded
 * as Linux's struct tcp_info).
 */
export type SockOptValue = number | LingerOption | string | Uint8Array;

/** One control message recvmsg(2) returns (cmsg level, type and data bytes). */
export interface ControlMessage {
  level: number;
  type: number;
  data: Uint8Array;
}

/** Result of recvfrom. */
export interface RecvResult {
  data: Uint8Array;
  /** Sender (datagram sockets); null for stream sockets. */
  addr: SockAddr | null;
  /** MSG_TRUNC if a datagram did not fit. */
  flags: number;
  /** Full length of the datagram (for MSG_TRUNC semantics); equals data.length for streams. */
  length: number;
  /** IP-level control messages the socket's options asked for (IP_PKTINFO, IP_RECVTTL...), if any. */
  control?: ControlMessage[];
  /** Datagrams: when it arrived, in milliseconds on the stack's clock (for SO_TIMESTAMP and SIOCGSTAMP). */
  arrivedAt?: number;
}

/**
 * A socket. Every operation is non-blocking: where Linux would block it throws
 * SysError(EAGAIN) (or EINPROGRESS for connect), and the caller waits for
 * readiness with poll()/subscribe(). Errors are SysError with Linux errnos.
 */
export interface Socket {
  readonly family: number;
  readonly type: number;
  readonly protocol: number;
  /** bind(2). EADDRINUSE, EADDRNOTAVAIL, EINVAL (already bound), EAFNOSUPPORT. */
  bind(addr: SockAddr): void;
  /**
   * connect(2). Stream: starts the handshake and throws EINPROGRESS; calling
   * again reports EALREADY while in progress, returns once connected, or
   * throws the failure (ECONNREFUSED, ETIMEDOUT...). Datagram: sets the
   * default peer (AF_UNSPEC dissolves it).
   */
  connect(addr: SockAddr): void;
  /** listen(2) (stream only). */
  listen(backlog: number): void;
  /** accept(2): an established connection, or EAGAIN. */
  accept(): Socket;
  /** send(2): bytes accepted (streams may accept fewer than offered), or EAGAIN/EPIPE/... */
  send(data: Uint8Array, flags?: number): number;
  /** sendto(2); `addr` null means the connected peer. */
  sendto(data: Uint8Array, flags: number, addr: SockAddr | null, options?: SendOptions): number;
  /** recv(2): up to maxLen bytes; an empty array means end of stream. EAGAIN when nothing is ready. */
  recv(maxLen: number, flags?: number): Uint8Array;
  /**
   * recvfrom(2) with the sender address and MSG_TRUNC reporting. MSG_DONTWAIT
   * says the caller will not wait, where Linux's answer depends on it.
   */
  recvfrom(maxLen: number, flags?: number): RecvResult;
  /** shutdown(2) with SHUT_RD / SHUT_WR / SHUT_RDWR. */
  shutdown(how: number): void;
  /** close(2): the protocol may continue in the background (FIN handshake, TIME_WAIT). */
  close(): void;
  getsockname(): SockAddr;
  /** ENOTCONN when there is no peer. */
  /** `accepting`: accept(2) asks, and a connection reset in the accept queue still names its peer (inet_getname with peer 2). */
  getpeername(accepting?: boolean): SockAddr;
  /** setsockopt(2); ENOPROTOOPT for unknown options, EINVAL for bad values. */
  setsockopt(level: number, name: number, value: SockOptValue): void;
  getsockopt(level: number, name: number): SockOptValue;
  /**
   * Installs (or with null removes) the filter every packet arriving for this
   * socket passes before it is queued. Absent on sockets that take none.
   */
  setReceiveFilter?(filter: ReceiveFilter | null): void;
  /** Bytes readable now (FIONREAD/SIOCINQ): stream bytes, or the next datagram's size (0 if none). */
  inq(): number;
  /** Bytes sent but not yet acknowledged plus unsent bytes (SIOCOUTQ); 0 for datagrams. */
  outq(): number;
  /** Current readiness as POLL* bits (POLLERR/POLLHUP included whenever they hold). */
  poll(): number;
  /**
   * Calls `cb(readiness)` whenever an event that may change readiness
   * happens and the readiness intersects `mask | POLLERR | POLLHUP` — the
   * wake-up poll(2)/epoll(7) need; edge-triggered users get one call per event.
   * Callbacks run after the stack finishes the current unit of work, and
   * never inside a socket call of the caller's: events caused by a call are
   * delivered on a later clock turn. Returns the unsubscribe function.
   */
  subscribe(mask: number, cb: (readiness: number) => void): () => void;
}
