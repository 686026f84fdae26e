/**
 * @tvisor/netstack/net: a node:net-style API over a stack (Node only: its
 * sockets are `stream.Duplex`es). `createNet(stack)` returns `connect`,
 * `createConnection`, `createServer`, `Socket`, `Server`, `isIP` bound to
 * that stack, so code written for node:net talks through the userspace stack.
 */
import type { Stack } from './stack/stack.js';
import { Server } from './node-net/server.js';
import { Socket, type ConnectOptions } from './node-net/socket.js';

export { Server, type ListenOptions } from './node-net/server.js';
export { Socket, type AddressInfo, type ConnectOptions } from './node-net/socket.js';
export { nodeNetError, type NodeNetError } from './node-net/errors.js';

/** What `createNet` returns: node:net's entry points over one stack. */
export interface NetApi {
  connect(options: ConnectOptions, listener?: () => void): Socket;
  connect(port: number, host?: string, listener?: () => void): Socket;
  createConnection: NetApi['connect'];
  createServer(listener?: (socket: Socket) => void): Server;
  createServer(options: { allowHalfOpen?: boolean }, listener?: (socket: Socket) => void): Server;
  /** A socket not yet connected: `new net.Socket()` then `.connect(...)`. */
  Socket: new (opts?: { allowHalfOpen?: boolean }) => Socket;
  isIP(input: string): 0 | 4 | 6;
  isIPv4(input: string): boolean;
  isIPv6(input: string): boolean;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isIPv6Text(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return false;
  const [head, ...rest] = s.split('::');
  if (rest.length > 1) return false;
  const groups = (p: string) => (p === '' ? [] : p.split(':'));
  const all = [...groups(head), ...(rest.length ? groups(rest[0]) : [])];
  const last = all[all.length - 1];
  const v4 = last !== undefined && last.includes('.');
  if (v4 && !IPV4.test(last)) return false;
  const hex = v4 ? all.slice(0, -1) : all;
  if (!hex.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  const n = hex.length + (v4 ? 2 : 0);
  return rest.length ? n < 8 : n === 8;
}

/** node:net's entry points for `stack`. */
export function createNet(stack: Stack): NetApi {
  const connect = (...args: unknown[]): Socket => {
    const listener = typeof args[args.length - 1] === 'function' ? (args.pop() as () => void) : undefined;
    const opts: ConnectOptions =
      typeof args[0] === 'object' && args[0] !== null ? (args[0] as ConnectOptions) : { port: args[0] as number, host: args[1] as string | undefined };
    return new Socket(stack, { allowHalfOpen: opts.allowHalfOpen }).connect(opts, listener);
  };
  const createServer = (...args: unknown[]): Server => {
    const listener = typeof args[args.length - 1] === 'function' ? (args.pop() as (s: Socket) => void) : undefined;
    return new Server(stack, (args[0] as { allowHalfOpen?: boolean } | undefined) ?? {}, listener);
  };
  const isIPv4 = (s: string) => IPV4.test(s);
  return {
    connect: connect as NetApi['connect'],
    createConnection: connect as NetApi['connect'],
    createServer: createServer as NetApi['createServer'],
    Socket: class extends Socket {
      constructor(opts: { allowHalfOpen?: boolean } = {}) {
        super(stack, opts);
      }
    },
    isIP: (s: string) => (isIPv4(s) ? 4 : isIPv6Text(s) ? 6 : 0),
    isIPv4,
    isIPv6: isIPv6Text,
  };
}
