// `runsc do -network=host`: the sandbox's inet sockets are host sockets the
// sentry owns. Runs inside a network namespace this test creates, so "the
// host" is that namespace's loopback and nothing leaves it.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_SCRATCH, RUNSC, testEnv } from './helpers.js';

const isRoot = process.getuid?.() === 0;
const missing = ['ip', 'curl', 'python3', 'nsenter'].filter((t) => {
  try {
    execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
});
const skipReason = !isRoot ? 'not root' : missing.length ? `missing tools: ${missing.join(', ')}` : '';
if (skipReason) console.warn(`network-host: skipped (${skipReason})`);

const BULK_BYTES = Number(process.env.NETWORK_BULK_MB ?? 16) * 1024 * 1024;
const NS = `tvhost${process.pid}`;
const nsCommand = (cmd: string[]): [string, string[]] => ['nsenter', [`--net=/run/netns/${NS}`, '--', ...cmd]];

/** Starts `cmd` in the test's namespace; resolves once its stdout contains `ready`. */
function startInNs(cmd: string[], ready: string): Promise<ChildProcess> {
  const child = spawn(...nsCommand(cmd), { stdio: ['ignore', 'pipe', 'pipe'], env: testEnv() });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes(ready)) resolve(child);
    });
    child.stderr!.on('data', (d) => (err += d));
    child.on('exit', (code) => reject(new Error(`${cmd.join(' ')} exited ${code} before "${ready}": ${err}`)));
  });
}

/** Runs `cmd` in the namespace: its exit status and stdout bytes. */
function runInNs(cmd: string[], timeoutMs = 120_000): Promise<{ status: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(...nsCommand(cmd), { stdio: ['ignore', 'pipe', 'pipe'], env: testEnv() });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (status) => {
      clearTimeout(t);
      resolve({ status, stdout: Buffer.concat(chunks), stderr });
    });
  });
}

const sandbox = (args: string[]) => [process.execPath, RUNSC, 'do', ...args];
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.on('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

describe.skipIf(skipReason !== '')('runsc do -network=host', () => {
  let dir: string;
  let data: Buffer;
  let hostServer: ChildProcess | undefined;
  let sandboxServer: ChildProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(HOST_SCRATCH, 'tvisor-hostnet-'));
    data = randomBytes(BULK_BYTES);
    writeFileSync(join(dir, 'bulk.bin'), data);
    writeFileSync(join(dir, 'hello.txt'), 'hello over the host network\n');
    execFileSync('ip', ['netns', 'add', NS]);
    execFileSync(...nsCommand(['ip', 'link', 'set', 'lo', 'up']));
    hostServer = await startInNs(['python3', '-u', '-m', 'http.server', '8101', '--bind', '127.0.0.1', '--directory', dir], 'Serving HTTP');
  }, 120_000);

  afterAll(async () => {
    await stop(sandboxServer);
    await stop(hostServer);
    try {
      execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
    } catch {
      // never made
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the sandbox reaches a server on the host's loopback, and a bulk download keeps its checksum", async () => {
    const small = await runInNs(sandbox(['-network=host', 'curl', '-sS', '-m', '60', 'http://127.0.0.1:8101/hello.txt']));
    expect(small.stderr).toBe('');
    expect(small.stdout.toString()).toBe('hello over the host network\n');
    const bulk = await runInNs(sandbox(['-network=host', 'curl', '-sS', '-m', '100', 'http://127.0.0.1:8101/bulk.bin']));
    expect(bulk.status).toBe(0);
    expect(bulk.stdout.length).toBe(data.length);
    expect(sha256(bulk.stdout)).toBe(sha256(data));
  }, 180_000);

  it("without it the sandbox has its own loopback: the host's server is not there", async () => {
    const r = await runInNs(sandbox(['curl', '-sS', '-m', '20', 'http://127.0.0.1:8101/hello.txt']));
    expect(r.status).toBe(7); // curl: could not connect
  }, 60_000);

  it('the host reaches a server in the sandbox on a host port', async () => {
    sandboxServer = await startInNs(
      sandbox(['-network=host', 'python3', '-u', '-m', 'http.server', '8102', '--bind', '127.0.0.1', '--directory', dir]),
      'Serving HTTP',
    );
    const r = await runInNs(['curl', '-sS', '-m', '60', 'http://127.0.0.1:8102/hello.txt']);
    expect(r.stdout.toString()).toBe('hello over the host network\n');
  }, 120_000);

  it('options go through the allow-list: TCP_NODELAY round-trips, TCP_FASTOPEN (not on the list) is ENOPROTOOPT, UDP works both ways', async () => {
    const script = [
      'import socket, errno',
      's = socket.socket()',
      's.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)',
      'print("nodelay", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))',
      'try:',
      '    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 1)',
      'except OSError as e:',
      '    print("fastopen", errno.errorcode[e.errno])',
      'a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("127.0.0.1", 0))',
      'b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.sendto(b"ping", a.getsockname())',
      'd, peer = a.recvfrom(100); a.sendto(d + b"-pong", peer)',
      'print("udp", b.recvfrom(100)[0].decode(), peer[1] == b.getsockname()[1])',
    ].join('\n');
    const r = await runInNs(sandbox(['-network=host', 'python3', '-c', script]));
    expect(r.stderr).toBe('');
    expect(r.stdout.toString()).toBe('nodelay 1\nfastopen ENOPROTOOPT\nudp ping-pong True\n');
  }, 60_000);
});
