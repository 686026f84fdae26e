// Interoperability with the Linux kernel's TCP/IP stack through a real TAP
// device. The device lives in a network namespace created (and deleted) by
// this test; only addresses on that private link are used.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer as createHttpServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AF, SOCK } from '../src/abi.js';
import { Stack } from '../src/stack/stack.js';
import { RealClock } from '../src/time/real-clock.js';
import { createSocket } from '../src/socket/factory.js';
import { ping } from '../src/stack/ping.js';
import { TapEndpoint } from '../src/tap.js';
import { createNet } from '../src/net.js';
import { PcapWriter, SniffingEndpoint } from '../src/link/pcap.js';
import { acceptAsync, connectAsync, readAll, readToEnd, writeAll } from './async-socket.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasTun = existsSync('/dev/net/tun');
const tools = ['ip', 'curl', 'ping', 'python3'].filter((t) => {
  try {
    execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
});
const hasTshark = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v tshark'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasTshark) console.warn('tap-interop: tshark not installed, the pcap decode check is skipped');
const skipReason = !isRoot ? 'not root' : !hasTun ? '/dev/net/tun is absent' : tools.length > 0 ? `missing tools: ${tools.join(', ')}` : '';
if (skipReason) console.warn(`tap-interop: skipped (${skipReason})`);

/** Size of the bulk transfer in each direction (see README for timings). */
const BULK_BYTES = Number(process.env.NETSTACK_TAP_BULK_MB ?? 100) * 1024 * 1024;

const NS = `tvns${process.pid}`;
const IFNAME = `tvtap${process.pid % 100000}`;
const HOST4 = '10.213.0.1';
const STACK4 = '10.213.0.2';
const HOST6 = 'fd13::1';
const STACK6 = 'fd13::2';

function sh(args: string[], opts: { input?: string } = {}): string {
  return execFileSync(args[0], args.slice(1), { encoding: 'utf8', input: opts.input, stdio: ['pipe', 'pipe', 'pipe'] });
}
function inNs(cmd: string[]): string[] {
  return ['ip', 'netns', 'exec', NS, ...cmd];
}

/** Runs a command in the namespace, resolving with its stdout when it exits 0. */
function runInNs(cmd: string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', NS, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd.join(' ')} exited ${code}: ${err}`));
    });
  });
}

describe.skipIf(skipReason !== '')('TAP interop with Linux', () => {
  let stack: Stack;
  let tap: TapEndpoint;
  let dir: string;
  let httpd: ChildProcess | null = null;
  const pcapChunks: Uint8Array[] = [];
  /** The capture covers the small tests; the bulk transfer would only make tshark slow. */
  let recording = true;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netstack-tap-'));
    sh(['ip', 'netns', 'add', NS]);
    tap = new TapEndpoint(IFNAME);
    // Move the device into the test's namespace; our descriptor stays attached to it.
    sh(['ip', 'link', 'set', IFNAME, 'netns', NS]);
    sh(inNs(['ip', 'link', 'set', 'lo', 'up']));
    sh(inNs(['ip', 'addr', 'add', `${HOST4}/24`, 'dev', IFNAME]));
    sh(inNs(['ip', '-6', 'addr', 'add', `${HOST6}/64`, 'dev', IFNAME, 'nodad']));
    sh(inNs(['ip', 'link', 'set', IFNAME, 'up']));
    const clock = new RealClock();
    stack = new Stack({ clock });
    const pcap = new PcapWriter((c) => {
      if (recording || pcapChunks.length === 0) pcapChunks.push(c.slice());
    }, 256);
    const nic = stack.addNic(new SniffingEndpoint(tap, pcap, clock, Date.now()), 'tap0');
    stack.addAddress(nic, `${STACK4}/24`);
    stack.addAddress(nic, `${STACK6}/64`);
  });

  afterAll(() => {
    httpd?.kill('SIGKILL');
    stack?.close();
    try {
      sh(['ip', 'netns', 'del', NS]);
    } catch {
      // already gone
    }
    // NETSTACK_PCAP_OUT=file keeps the capture for inspection.
    if (pcapChunks.length > 0 && process.env.NETSTACK_PCAP_OUT) writeFileSync(process.env.NETSTACK_PCAP_OUT, Buffer.concat(pcapChunks));
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers ping from the host (IPv4 and IPv6)', async () => {
    const out4 = await runInNs(['ping', '-c', '3', '-i', '0.2', '-W', '2', STACK4]);
    expect(out4).toMatch(/3 received/);
    const out6 = await runInNs(['ping', '-6', '-c', '2', '-i', '0.2', '-W', '2', STACK6]);
    expect(out6).toMatch(/2 received/);
  });

  it('pings the host', async () => {
    const r = await ping(stack, HOST4, { timeoutMs: 2000 });
    expect(r.from).toBe(HOST4);
    const r6 = await ping(stack, HOST6, { timeoutMs: 2000 });
    expect(r6.from).toBe(HOST6);
  });

  it('serves HTTP to curl on the host', async () => {
    const listener = createSocket(stack, AF.INET, SOCK.STREAM);
    listener.bind({ family: AF.INET, addr: '0.0.0.0', port: 8080 });
    listener.listen(16);
    const body = 'hello from netstack\n';
    const served = (async () => {
      const conn = await acceptAsync(listener);
      // Read the request head.
      let head = '';
      while (!head.includes('\r\n\r\n')) {
        const d = await readSome(conn);
        head += new TextDecoder().decode(d);
      }
      expect(head).toMatch(/^GET \/hello HTTP\/1\.1\r\n/);
      await writeAll(conn, new TextEncoder().encode(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`));
      conn.shutdown(1);
      await readAll(conn);
      conn.close();
    })();
    const out = await runInNs(['curl', '-sS', '--max-time', '20', `http://${STACK4}:8080/hello`]);
    await served;
    listener.close();
    expect(out).toBe(body);
  });

  it('serves node:http through the node:net facade to curl on the host', async () => {
    // The README's TAP example: node:http takes any Duplex as a connection.
    const net = createNet(stack);
    const web = createHttpServer((req, res) => res.end(`node:http over netstack: ${req.method} ${req.url}\n`));
    const server = net.createServer((socket) => web.emit('connection', socket));
    await new Promise<void>((resolve) => server.listen(8081, STACK4, resolve));
    const out = await runInNs(['curl', '-sS', '--max-time', '20', `http://${STACK4}:8081/facade`]);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(out).toBe('node:http over netstack: GET /facade\n');
  });

  it('fetches from python3 -m http.server on the host', async () => {
    const content = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7) & 0xff));
    writeFileSync(join(dir, 'blob.bin'), content);
    httpd = spawn('ip', ['netns', 'exec', NS, 'python3', '-m', 'http.server', '8000', '--bind', HOST4, '--directory', dir], { stdio: 'ignore' });
    let response: Uint8Array | null = null;
    for (let attempt = 0; attempt < 50 && !response; attempt++) {
      const s = createSocket(stack, AF.INET, SOCK.STREAM);
      try {
        await connectAsync(s, { family: AF.INET, addr: HOST4, port: 8000 });
      } catch {
        s.close();
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      await writeAll(s, new TextEncoder().encode(`GET /blob.bin HTTP/1.0\r\nHost: ${HOST4}\r\n\r\n`));
      response = await readAll(s);
      s.close();
    }
    httpd.kill('SIGKILL');
    httpd = null;
    expect(response).not.toBeNull();
    const text = Buffer.from(response!);
    const split = text.indexOf('\r\n\r\n');
    expect(text.subarray(0, split).toString()).toMatch(/^HTTP\/1\.[01] 200/);
    expect(Buffer.compare(text.subarray(split + 4), content)).toBe(0);
  });

  it(`moves ${BULK_BYTES >> 20} MB each way intact`, async () => {
    const blob = Buffer.alloc(BULK_BYTES);
    for (let i = 0; i < blob.length; i += 4) blob.writeUInt32LE((i * 2654435761) >>> 0, i);
    const file = join(dir, 'bulk.bin');
    writeFileSync(file, blob);
    const expected = createHash('sha256').update(blob).digest('hex');
    recording = false;

    // Linux -> netstack: a python client in the namespace sends the file.
    const listener = createSocket(stack, AF.INET, SOCK.STREAM);
    listener.bind({ family: AF.INET, addr: STACK4, port: 9001 });
    listener.listen(4);
    const sendPy = `import socket,sys\ns=socket.create_connection(("${STACK4}",9001))\ns.sendall(open(sys.argv[1],"rb").read())\ns.shutdown(socket.SHUT_WR)\ns.recv(1)\ns.close()`;
    const t0 = performance.now();
    const sender = runInNs(['python3', '-c', sendPy, file], 600_000);
    const conn = await acceptAsync(listener);
    const h = createHash('sha256');
    const got = await readToEnd(conn, (d) => h.update(d));
    conn.close();
    await sender;
    const inMs = performance.now() - t0;
    listener.close();
    expect(got).toBe(BULK_BYTES);
    expect(h.digest('hex')).toBe(expected);

    // netstack -> Linux: a python client reads everything and prints its hash.
    const l2 = createSocket(stack, AF.INET6, SOCK.STREAM);
    l2.bind({ family: AF.INET6, addr: '::', port: 9002 });
    l2.listen(4);
    const recvPy = `import socket,hashlib\ns=socket.create_connection(("${STACK6}",9002))\nh=hashlib.sha256()\nn=0\nwhile True:\n  d=s.recv(1<<20)\n  if not d: break\n  h.update(d); n+=len(d)\nprint(n, h.hexdigest())`;
    const t1 = performance.now();
    const receiver = runInNs(['python3', '-c', recvPy], 600_000);
    const c2 = await acceptAsync(l2);
    await writeAll(c2, blob);
    c2.close();
    const out = (await receiver).trim();
    const outMs = performance.now() - t1;
    l2.close();
    expect(out).toBe(`${BULK_BYTES} ${expected}`);
    console.log(`tap bulk: ${BULK_BYTES >> 20} MB linux->netstack ${(inMs / 1000).toFixed(2)} s, netstack->linux (IPv6) ${(outMs / 1000).toFixed(2)} s`);
  });

  it.skipIf(!hasTshark)('writes a pcap that tshark decodes without errors', () => {
    const tshark = 'tshark';
    const file = join(dir, 'check.pcap');
    writeFileSync(file, Buffer.concat(pcapChunks));
    const summary = sh([tshark, '-r', file, '-q', '-z', 'expert,error']);
    expect(summary).not.toMatch(/Malformed|Errors \(\d+\)/);
    const text = sh([tshark, '-r', file, '-Y', 'arp || icmp || icmpv6 || tcp || http', '-T', 'fields', '-e', 'frame.protocols']);
    expect(text).toMatch(/eth:ethertype:arp/);
    expect(text).toMatch(/icmp/);
    expect(text).toMatch(/tcp/);
  });
});

async function readSome(s: import('../src/socket/types.js').Socket): Promise<Uint8Array> {
  const { waitFor } = await import('./async-socket.js');
  const { POLL, SysError, Errno } = await import('../src/abi.js');
  for (;;) {
    try {
      return s.recv(65536);
    } catch (e) {
      if (!(e instanceof SysError) || e.errno !== Errno.EAGAIN) throw e;
    }
    await waitFor(s, POLL.IN);
  }
}
