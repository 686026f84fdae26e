// A scripted bulk transfer between two sockets, driven by readiness
// callbacks the way an event-loop program would drive them.

import { AF, POLL, SOCK, SysError, Errno } from '../src/abi.js';
import { createSocket } from '../src/socket/factory.js';
import type { Socket } from '../src/socket/types.js';
import type { Pair } from './harness.js';

export interface TransferResult {
  received: Uint8Array;
  /** Bytes the client got back (the server echoes nothing unless `echo`). */
  clientDone: boolean;
  serverDone: boolean;
  server: Socket;
  client: Socket;
}

function tryOp<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SysError && (e.errno === Errno.EAGAIN || e.errno === Errno.EINPROGRESS)) return null;
    throw e;
  }
}

/**
 * Client on pair.a sends `data` to a server on pair.b and shuts down; the
 * server reads to EOF and closes; the client reads EOF and closes.
 * `chunk` bounds each send() call.
 */
export function runTransfer(p: Pair, data: Uint8Array, opts: { v6?: boolean; chunk?: number; maxMs?: number; port?: number } = {}): TransferResult {
  const family = opts.v6 ? AF.INET6 : AF.INET;
  const port = opts.port ?? 5001;
  const chunk = opts.chunk ?? 16384;
  const listener = createSocket(p.b, family, SOCK.STREAM);
  listener.bind({ family, addr: opts.v6 ? '::' : '0.0.0.0', port });
  listener.listen(4);
  const client = createSocket(p.a, family, SOCK.STREAM);
  const parts: Uint8Array[] = [];
  let total = 0;
  let server: Socket | null = null;
  let serverDone = false;
  let clientDone = false;
  let sent = 0;
  let shut = false;

  const pumpServer = () => {
    if (!server || serverDone) return;
    for (;;) {
      const d = tryOp(() => server!.recv(65536));
      if (d === null) return;
      if (d.length === 0) {
        serverDone = true;
        server.close();
        return;
      }
      parts.push(d);
      total += d.length;
    }
  };
  listener.subscribe(POLL.IN, () => {
    const s = tryOp(() => listener.accept());
    if (!s) return;
    server = s;
    s.subscribe(POLL.IN, pumpServer);
    pumpServer();
  });
  const pumpClient = () => {
    while (sent < data.length) {
      const n = tryOp(() => client.send(data.subarray(sent, Math.min(data.length, sent + chunk))));
      if (n === null) return;
      sent += n;
    }
    if (!shut) {
      shut = true;
      client.shutdown(1);
    }
    if (!clientDone) {
      const d = tryOp(() => client.recv(100));
      if (d !== null && d.length === 0) {
        clientDone = true;
        client.close();
      }
    }
  };
  client.subscribe(POLL.OUT | POLL.IN, pumpClient);
  tryOp(() => client.connect({ family, addr: opts.v6 ? 'fd00::2' : '10.0.0.2', port }));
  p.clock.runUntil(() => clientDone && serverDone, opts.maxMs ?? 600_000);
  listener.close();
  const received = new Uint8Array(total);
  let o = 0;
  for (const part of parts) {
    received.set(part, o);
    o += part.length;
  }
  return { received, clientDone, serverDone, server: server!, client };
}

/** Deterministic test data. */
export function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
