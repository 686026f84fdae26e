import { EventEmitter } from 'node:events';
import { AF, POLL, SOCK, SysError, Errno } from '../abi.js';
import { createSocket } from '../socket/factory.js';
import type { Socket as StackSocket } from '../socket/types.js';
import type { Stack } from '../stack/stack.js';
import { nodeNetError } from './errors.js';
import { familyName, isIPv6, Socket, type AddressInfo } from './socket.js';

export interface ListenOptions {
  port?: number;
  host?: string;
  backlog?: number;
}

/** node:net's `Server` over a stack: accepts connections as `Socket`s. */
export class Server extends EventEmitter {
  listening = false;
  private listener: StackSocket | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly connections = new Set<Socket>();
  private closing = false;

  constructor(
    private readonly stack: Stack,
    private readonly opts: { allowHalfOpen?: boolean } = {},
    connectionListener?: (socket: Socket) => void,
  ) {
    super();
    if (connectionListener) this.on('connection', connectionListener);
  }

  /** listen(port?, host?, backlog?, cb?) or listen({ port, host, backlog }, cb?); 'listening' or 'error' follows. */
  listen(...args: unknown[]): this {
    const cb = typeof args[args.length - 1] === 'function' ? (args.pop() as () => void) : undefined;
    const o: ListenOptions =
      typeof args[0] === 'object' && args[0] !== null
        ? (args[0] as ListenOptions)
        : {
            port: args[0] as number | undefined,
            host: typeof args[1] === 'string' ? args[1] : undefined,
            backlog: typeof args[1] === 'number' ? args[1] : (args[2] as number | undefined),
          };
    if (cb) this.once('listening', cb);
    const host = o.host ?? '0.0.0.0';
    const family = isIPv6(host) ? AF.INET6 : AF.INET;
    const port = o.port ?? 0;
    try {
      const sock = createSocket(this.stack, family, SOCK.STREAM);
      this.listener = sock;
      sock.bind({ family, addr: host, port });
      sock.listen(o.backlog ?? 511);
    } catch (e) {
      this.listener?.close();
      this.listener = undefined;
      const err = e instanceof SysError ? nodeNetError(e.errno, 'listen', host, port, true) : e;
      process.nextTick(() => this.emit('error', err));
      return this;
    }
    this.listening = true;
    this.unsubscribe = this.listener.subscribe(POLL.IN, () => this.acceptAll());
    process.nextTick(() => this.emit('listening'));
    return this;
  }

  private acceptAll(): void {
    while (this.listener !== undefined) {
      let conn: StackSocket;
      try {
        conn = this.listener.accept();
      } catch (e) {
        if (e instanceof SysError && e.errno === Errno.EAGAIN) return;
        this.emit('error', e instanceof SysError ? nodeNetError(e.errno, 'accept') : e);
        return;
      }
      const socket = new Socket(this.stack, { allowHalfOpen: this.opts.allowHalfOpen, accepted: conn });
      this.connections.add(socket);
      socket.once('close', () => {
        this.connections.delete(socket);
        this.maybeClosed();
      });
      this.emit('connection', socket);
    }
  }

  /** The bound address, as node:net's `server.address()`; null when not listening. */
  address(): AddressInfo | null {
    if (this.listener === undefined) return null;
    const sa = this.listener.getsockname();
    return { address: sa.addr, family: familyName(sa.family), port: sa.port };
  }

  /** Stops accepting; 'close' follows once every accepted connection has closed (as node:net). */
  close(cb?: (err?: Error) => void): this {
    if (this.listener === undefined) {
      const err = Object.assign(new Error('Server is not running.'), { code: 'ERR_SERVER_NOT_RUNNING' });
      if (cb) process.nextTick(cb, err);
      return this;
    }
    if (cb) this.once('close', cb);
    this.unsubscribe?.();
    this.listener.close();
    this.listener = undefined;
    this.listening = false;
    this.closing = true;
    process.nextTick(() => this.maybeClosed());
    return this;
  }

  private maybeClosed(): void {
    if (this.closing && this.connections.size === 0) {
      this.closing = false;
      this.emit('close');
    }
  }

  getConnections(cb: (err: Error | null, count: number) => void): this {
    process.nextTick(cb, null, this.connections.size);
    return this;
  }

  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}
