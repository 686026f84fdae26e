#!/usr/bin/env node
// TCP bulk-throughput benchmark: netstack over a loopback NIC, over the
// in-memory channel, and over a TAP device to the Linux kernel, each next to
// Linux's own loopback TCP (measured from this same Node process) as a ratio.
//
//   node packages/netstack/bench/throughput.mjs [--mb N] [--no-tap]
//
// The sources are bundled with esbuild on start, so no build step is needed.
// The TAP case needs root and /dev/net/tun; it runs in a private network
// namespace that is removed afterwards.

import { build } from 'esbuild';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const MB = Number(args[args.indexOf('--mb') + 1] || 0) || 512;
const BYTES = MB * 1024 * 1024;
const withTap = !args.includes('--no-tap');

const outDir = join(here, '.build');
mkdirSync(outDir, { recursive: true });
await build({
  entryPoints: { netstack: join(here, '../src/index.ts'), tap: join(here, '../src/tap.ts') },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: outDir,
  outExtension: { '.js': '.mjs' },
  external: ['koffi'],
  conditions: ['@tvisor/source'],
  logLevel: 'warning',
});
const ns = await import(join(outDir, 'netstack.mjs'));
const { AF, SOCK, POLL, Stack, RealClock, LoopbackEndpoint, ChannelPair, createSocket } = ns;

const CHUNK = new Uint8Array(1 << 20).map((_, i) => i & 0xff);

/** Sends BYTES from `tx` to `rx` (netstack sockets) driven by readiness callbacks; resolves with seconds taken. */
function pump(tx, rx, bytes) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let sent = 0;
    let got = 0;
    let finished = false;
    // Like an epoll-driven program: only call send/recv when poll() says so
    // (a failed call costs a SysError with a stack trace).
    const write = () => {
      while (sent < bytes && tx.poll() & POLL.OUT) {
        try {
          sent += tx.send(CHUNK.subarray(0, Math.min(CHUNK.length, bytes - sent)));
        } catch {
          return;
        }
      }
    };
    const read = () => {
      while (rx.poll() & POLL.IN) {
        let d;
        try {
          d = rx.recv(1 << 20);
        } catch {
          return;
        }
        got += d.length;
        if (got >= bytes && !finished) {
          finished = true;
          resolve((performance.now() - t0) / 1000);
          return;
        }
        if (d.length === 0) return;
      }
    };
    tx.subscribe(POLL.OUT, write);
    rx.subscribe(POLL.IN, read);
    write();
  });
}

async function connectPair(client, server, family, addr, port) {
  const l = createSocket(server, family, SOCK.STREAM);
  l.bind({ family, addr: family === AF.INET ? '0.0.0.0' : '::', port });
  l.listen(4);
  const c = createSocket(client, family, SOCK.STREAM);
  try {
    c.connect({ family, addr, port });
  } catch {
    // EINPROGRESS
  }
  const s = await new Promise((resolve) => {
    const tryAccept = () => {
      try {
        resolve(l.accept());
        return true;
      } catch {
        return false;
      }
    };
    if (!tryAccept()) {
      const stop = l.subscribe(POLL.IN, () => tryAccept() && stop());
    }
  });
  return { l, c, s };
}

async function netstackLoopback() {
  const stack = new Stack({ clock: new RealClock() });
  const lo = stack.addNic(new LoopbackEndpoint(), 'lo');
  stack.addAddress(lo, '127.0.0.1/8');
  const { c, s } = await connectPair(stack, stack, AF.INET, '127.0.0.1', 5001);
  const secs = await pump(c, s, BYTES);
  stack.close();
  return secs;
}

async function netstackChannel(mtu) {
  const clock = new RealClock();
  const ch = new ChannelPair(clock, { mtu });
  const a = new Stack({ clock });
  const b = new Stack({ clock });
  a.addAddress(a.addNic(ch.a), '10.0.0.1/24');
  b.addAddress(b.addNic(ch.b), '10.0.0.2/24');
  const { c, s } = await connectPair(a, b, AF.INET, '10.0.0.2', 5001);
  const secs = await pump(c, s, BYTES);
  a.close();
  b.close();
  return secs;
}

/** Linux loopback TCP, driven from this Node process the same way. */
function linuxLoopback() {
  return new Promise((resolve) => {
    const server = net.createServer((sock) => {
      let got = 0;
      const t0 = performance.now();
      sock.on('data', (d) => {
        got += d.length;
        if (got >= BYTES) {
          resolve((performance.now() - t0) / 1000);
          sock.destroy();
          server.close();
        }
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const c = net.connect(server.address().port, '127.0.0.1', () => {
        let sent = 0;
        const write = () => {
          while (sent < BYTES) {
            const n = Math.min(CHUNK.length, BYTES - sent);
            sent += n;
            if (!c.write(CHUNK.subarray(0, n))) return c.once('drain', write);
          }
          c.end();
        };
        write();
      });
      c.on('error', () => {});
    });
  });
}

/** netstack -> Linux over a TAP device in a private namespace; a python receiver counts bytes. */
async function tapCase() {
  if (process.getuid?.() !== 0 || !existsSync('/dev/net/tun')) return null;
  const { TapEndpoint } = await import(join(outDir, 'tap.mjs'));
  const nsName = `tvbench${process.pid}`;
  const ifname = `tvbt${process.pid % 100000}`;
  const sh = (...a) => execFileSync(a[0], a.slice(1));
  sh('ip', 'netns', 'add', nsName);
  try {
    const tap = new TapEndpoint(ifname);
    sh('ip', 'link', 'set', ifname, 'netns', nsName);
    sh('ip', '-n', nsName, 'addr', 'add', '10.214.0.1/24', 'dev', ifname);
    sh('ip', '-n', nsName, 'link', 'set', ifname, 'up');
    const stack = new Stack({ clock: new RealClock() });
    stack.addAddress(stack.addNic(tap), '10.214.0.2/24');
    const l = createSocket(stack, AF.INET, SOCK.STREAM);
    l.bind({ family: AF.INET, addr: '0.0.0.0', port: 5001 });
    l.listen(1);
    const py =
      'import socket,time\ns=socket.create_connection(("10.214.0.2",5001))\nn=0\nt=None\nwhile True:\n  d=s.recv(1<<20)\n  if t is None: t=time.perf_counter()\n  if not d: break\n  n+=len(d)\nprint(n, time.perf_counter()-t)';
    const child = spawn('ip', ['netns', 'exec', nsName, 'python3', '-c', py], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const s = await new Promise((resolve) => {
      const stop = l.subscribe(POLL.IN, () => {
        try {
          resolve(l.accept());
          stop();
        } catch {
          // not yet
        }
      });
    });
    let sent = 0;
    await new Promise((resolve) => {
      const write = () => {
        while (sent < BYTES) {
          try {
            sent += s.send(CHUNK.subarray(0, Math.min(CHUNK.length, BYTES - sent)));
          } catch {
            return;
          }
        }
        s.close();
        resolve();
      };
      s.subscribe(POLL.OUT, write);
      write();
    });
    await new Promise((r) => child.on('exit', r));
    stack.close();
    const [n, secs] = out.trim().split(' ').map(Number);
    return n === BYTES ? secs : null;
  } finally {
    sh('ip', 'netns', 'del', nsName);
  }
}

const gbps = (secs) => (BYTES * 8) / secs / 1e9;
const rows = [];
async function run(name, fn) {
  process.stderr.write(`${name} ...\n`);
  const secs = await fn();
  rows.push([name, secs]);
  return secs;
}
const linux = await run('Linux loopback TCP (node net, kernel stack)', linuxLoopback);
await run('netstack, loopback NIC (one process)', netstackLoopback);
await run('netstack <-> netstack, in-memory channel, MTU 1500', () => netstackChannel(1500));
await run('netstack <-> netstack, in-memory channel, MTU 65535', () => netstackChannel(65535));
if (withTap) await run('netstack -> Linux over TAP (MTU 1500)', tapCase);
console.log(`TCP bulk transfer of ${MB} MB (Node ${process.version})`);
for (const [name, secs] of rows) {
  if (secs === null) {
    console.log(`  ${name.padEnd(52)} skipped (needs root and /dev/net/tun)`);
    continue;
  }
  console.log(`  ${name.padEnd(52)} ${gbps(secs).toFixed(2).padStart(6)} Gb/s   ${(gbps(secs) / gbps(linux)).toFixed(3)} x Linux loopback`);
}
process.exit(0);
