import { Duplex } from 'node:stream';
import { AF, Errno, IPPROTO, POLL, SHUT, SO, SOCK, SOL, SysError, TCP } from '../abi.js';
import { createSocket } from '../socket/factory.js';
import type { SockAddr, Socket as StackSocket } from '../socket/types.js';
import type { Stack } from '../stack/stack.js';
import { nodeNetError, type NodeNetError } from './errors.js';

/** node:net's address() shape. */
export interface AddressInfo {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
}

export interface ConnectOptions {
  port: number;
  host?: string;
  localAddress?: string;
  localPort?: number;
  /** 4 or 6; by default the host's form decides (a name other than localhost is not resolved). */
  family?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  allowHalfOpen?: boolean;
}

const RECV_CHUNK = 64 * 1024;

export const isIPv6 = (host: string): boolean => host.includes(':');
export const familyName = (family: number): 'IPv4' | 'IPv6' => (family === AF.INET6 ? 'IPv6' : 'IPv4');
/** A host string as an address the stack takes: node:net's default and `localhost` are loopback. */
export function hostAddress(host: string | undefined, family?: number): string {
  if (host === undefined || host === '' || host === 'localhost') return family === 6 ? '::1' : '127.0.0.1';
  return host;
}

/**
 * node:net's `Socket` over a stack's TCP socket: a Duplex whose reads are
 * the peer's bytes (end = its FIN) and whose writes go out as the send buffer
 * takes them; `end()` sends a FIN once written data is queued.
 */
export class Socket extends Duplex {
  connecting = false;
  bytesRead = 0;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  remoteFamily: 'IPv4' | 'IPv6' | undefined;
  private sock: StackSocket | undefined;
  private unsubscribe: (() => void) | undefined;
  private wantRead = false;
  private pendingWrite: { data: Uint8Array; cb: (e?: Error | null) => void } | undefined;
  private pendingFinal: ((e?: Error | null) => void) | undefined;
  private connectTarget: { address: string; port: number } | undefined;
  private written = 0;
  private idleMs = 0;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly stack: Stack,
    opts: { allowHalfOpen?: boolean; accepted?: StackSocket } = {},
  ) {
    // 'close' carries hadError, as node:net's does, so the stream's own is off.
    super({ allowHalfOpen: opts.allowHalfOpen ?? false, emitClose: false, decodeStrings: true });
    if (opts.accepted) this.attach(opts.accepted);
  }

  get bytesWritten(): number {
    return this.written;
  }
  get localAddress(): string | undefined {
    return this.sockname()?.addr;
  }
  get localPort(): number | undefined {
    return this.sockname()?.port;
  }
  get readyState(): string {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }
  get pending(): boolean {
    return this.sock === undefined || this.connecting;
  }

  private sockname(): SockAddr | undefined {
    try {
      return this.sock?.getsockname();
    } catch {
      return undefined;
    }
  }

  /** Wraps an established (accepted or connected) socket. */
  private attach(sock: StackSocket): void {
    this.sock = sock;
    const peer = sock.getpeername();
    this.remoteAddress = peer.addr;
    this.remotePort = peer.port;
    this.remoteFamily = familyName(peer.family);
    this.unsubscribe ??= sock.subscribe(POLL.IN | POLL.OUT | POLL.RDHUP, () => this.onReady());
  }

  /**
   * Starts connecting (net.connect does this): `connect(options, cb?)` or
   * `connect(port, host?, cb?)`; 'connect' follows, or 'error' and 'close'.
   */
  connect(optsOrPort: ConnectOptions | number, hostOrListener?: string | (() => void), listener?: () => void): this {
    const opts: ConnectOptions =
      typeof optsOrPort === 'number' ? { port: optsOrPort, host: typeof hostOrListener === 'string' ? hostOrListener : undefined } : optsOrPort;
    listener ??= typeof hostOrListener === 'function' ? hostOrListener : undefined;
    if (listener) this.once('connect', listener);
    const family = opts.family === 6 || (opts.family !== 4 && isIPv6(opts.host ?? '')) ? AF.INET6 : AF.INET;
    const address = hostAddress(opts.host, family === AF.INET6 ? 6 : 4);
    const port = opts.port;
    this.connectTarget = { address, port };
    this.connecting = true;
    let sock: StackSocket;
    try {
      sock = createSocket(this.stack, family, SOCK.STREAM);
      if (opts.localAddress !== undefined || opts.localPort !== undefined) {
        sock.bind({ family, addr: opts.localAddress ?? (family === AF.INET6 ? '::' : '0.0.0.0'), port: opts.localPort ?? 0 });
      }
      this.sock = sock;
      if (opts.noDelay) this.setNoDelay(true);
      if (opts.keepAlive) this.setKeepAlive(true, opts.keepAliveInitialDelay);
      sock.connect({ family, addr: address, port });
    } catch (e) {
      if (!(e instanceof SysError) || e.errno !== Errno.EINPROGRESS) {
        this.failConnect(e);
        return this;
      }
    }
    this.unsubscribe = this.sock!.subscribe(POLL.IN | POLL.OUT | POLL.RDHUP, () => this.onReady());
    return this;
  }

  private failConnect(e: unknown): void {
    this.connecting = false;
    const { address, port } = this.connectTarget!;
    const err = e instanceof SysError ? nodeNetError(e.errno, 'connect', address, port) : (e as Error);
    process.nextTick(() => this.destroy(err));
  }

  private onReady(): void {
    if (this.destroyed || this.sock === undefined) return;
    if (this.connecting) {
      const soError = this.sock.getsockopt(SOL.SOCKET, SO.ERROR) as number;
      if (soError !== 0) return this.failConnect(new SysError(soError));
      if (!(this.sock.poll() & POLL.OUT)) return;
      this.connecting = false;
      this.attach(this.sock);
      this.emit('connect');
      this.emit('ready');
    }
    this.pumpWrite();
    this.finishIfFinal(); // an end() made while connecting, with nothing to write
    if (this.wantRead) this.pumpRead();
  }

  private ioError(e: unknown, syscall: string): Error {
    return e instanceof SysError ? nodeNetError(e.errno, syscall) : (e as Error);
  }

  private pumpRead(): void {
    while (this.wantRead && this.sock !== undefined && !this.destroyed) {
      let data: Uint8Array;
      try {
        data = this.sock.recv(RECV_CHUNK);
      } catch (e) {
        if (e instanceof SysError && e.errno === Errno.EAGAIN) return;
        return void this.destroy(this.ioError(e, 'read'));
      }
      if (data.length === 0) {
        this.wantRead = false;
        this.push(null);
        return;
      }
      this.bytesRead += data.length;
      this.touch();
      this.wantRead = this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    }
  }

  private pumpWrite(): void {
    const w = this.pendingWrite;
    if (w === undefined || this.sock === undefined || this.connecting) return;
    try {
      while (w.data.length > 0) {
        const n = this.sock.send(w.data);
        this.written += n;
        if (n > 0) this.touch();
        w.data = w.data.subarray(n);
      }
    } catch (e) {
      if (e instanceof SysError && e.errno === Errno.EAGAIN) return;
      this.pendingWrite = undefined;
      return w.cb(this.ioError(e, 'write'));
    }
    this.pendingWrite = undefined;
    w.cb();
    this.finishIfFinal();
  }

  private finishIfFinal(): void {
    const cb = this.pendingFinal;
    if (cb === undefined || this.pendingWrite !== undefined || this.connecting) return;
    this.pendingFinal = undefined;
    try {
      this.sock?.shutdown(SHUT.WR);
      cb();
    } catch (e) {
      cb(this.ioError(e, 'shutdown'));
    }
  }

  override _read(): void {
    this.wantRead = true;
    if (!this.connecting) this.pumpRead();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pendingWrite = { data: new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), cb: callback };
    this.pumpWrite();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.pendingFinal = callback;
    this.finishIfFinal();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.idleTimer);
    this.idleMs = 0;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.connecting = false;
    try {
      this.sock?.close();
    } catch {
      /* closing twice is harmless here */
    }
    const w = this.pendingWrite;
    this.pendingWrite = undefined;
    w?.cb(error ?? nodeNetError(Errno.EPIPE, 'write'));
    callback(error);
    process.nextTick(() => this.emit('close', error !== null && error !== undefined));
  }

  /** TCP_NODELAY (Nagle off by default, as node:net's sockets). */
  setNoDelay(noDelay = true): this {
    this.sock?.setsockopt(IPPROTO.TCP, TCP.NODELAY, noDelay ? 1 : 0);
    return this;
  }

  /** SO_KEEPALIVE, and TCP_KEEPIDLE from `initialDelay` milliseconds (whole seconds, at least 1). */
  setKeepAlive(enable = false, initialDelay = 0): this {
    if (this.sock === undefined) return this;
    this.sock.setsockopt(SOL.SOCKET, SO.KEEPALIVE, enable ? 1 : 0);
    if (enable && initialDelay > 0) this.sock.setsockopt(IPPROTO.TCP, TCP.KEEPIDLE, Math.max(1, Math.floor(initialDelay / 1000)));
    return this;
  }

  /** The local address, as node:net's `address()`; `{}` before the socket exists. */
  address(): AddressInfo | Record<string, never> {
    const sa = this.sockname();
    return sa ? { address: sa.addr, family: familyName(sa.family), port: sa.port } : {};
  }

  /**
   * node:net's idle timeout: 'timeout' after `ms` without bytes read or
   * written (0 turns it off); like node:net, it does not close the socket.
   */
  setTimeout(ms: number, callback?: () => void): this {
    if (callback && ms === 0) this.removeListener('timeout', callback);
    else if (callback) this.once('timeout', callback);
    this.idleMs = ms;
    this.touch();
    return this;
  }

  /** Restarts the idle timer after activity. */
  private touch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.idleMs > 0 && !this.destroyed) this.idleTimer = setTimeout(() => this.emit('timeout'), this.idleMs);
  }

  /** No event-loop handle to release: the stack's clock owns the timers. */
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  /** Closes the connection with RST semantics where node:net would (SO_LINGER 0), then destroys. */
  resetAndDestroy(): this {
    try {
      this.sock?.setsockopt(SOL.SOCKET, SO.LINGER, { onoff: true, linger: 0 });
    } catch {
      /* not yet connected */
    }
    return this.destroy();
  }
}

export type { NodeNetError };
