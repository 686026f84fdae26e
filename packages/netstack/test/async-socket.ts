// Promise wrappers over the non-blocking socket API, for tests that run on
// the real event loop (TAP interop, benchmarks).

import { Errno, POLL, SO, SOL, SysError } from '../src/abi.js';
import type { SockAddr, Socket } from '../src/socket/types.js';

/** Resolves once poll() intersects `mask` (or ERR/HUP). */
export function waitFor(s: Socket, mask: number): Promise<number> {
  const now = s.poll();
  if (now & (mask | POLL.ERR | POLL.HUP)) return Promise.resolve(now);
  return new Promise((resolve) => {
    const stop = s.subscribe(mask, (r) => {
      stop();
      resolve(r);
    });
  });
}

function again(e: unknown): boolean {
  return e instanceof SysError && e.errno === Errno.EAGAIN;
}

export async function connectAsync(s: Socket, addr: SockAddr): Promise<void> {
  try {
    s.connect(addr);
    return;
  } catch (e) {
    if (!(e instanceof SysError) || e.errno !== Errno.EINPROGRESS) throw e;
  }
  await waitFor(s, POLL.OUT);
  const err = s.getsockopt(SOL.SOCKET, SO.ERROR) as number;
  if (err) throw new SysError(err);
}

export async function acceptAsync(s: Socket): Promise<Socket> {
  for (;;) {
    try {
      return s.accept();
    } catch (e) {
      if (!again(e)) throw e;
    }
    await waitFor(s, POLL.IN);
  }
}

export async function writeAll(s: Socket, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) {
    try {
      off += s.send(data.subarray(off, Math.min(data.length, off + (1 << 20))));
      continue;
    } catch (e) {
      if (!again(e)) throw e;
    }
    await waitFor(s, POLL.OUT);
  }
}

/** Reads until EOF; `onChunk` sees every piece (for hashing without buffering). */
export async function readToEnd(s: Socket, onChunk: (d: Uint8Array) => void): Promise<number> {
  let total = 0;
  for (;;) {
    try {
      const d = s.recv(1 << 20);
      if (d.length === 0) return total;
      total += d.length;
      onChunk(d);
      continue;
    } catch (e) {
      if (!again(e)) throw e;
    }
    await waitFor(s, POLL.IN | POLL.RDHUP);
  }
}

/** Reads until EOF and returns everything. */
export async function readAll(s: Socket): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  await readToEnd(s, (d) => parts.push(d));
  return Buffer.concat(parts);
}
