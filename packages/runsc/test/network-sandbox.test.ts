// `runsc do -network=sandbox`: the sandbox's own NIC on a veth, driven by
// netstack through an AF_PACKET socket. Everything runs inside a network
// namespace this test creates (the "host"), so traffic goes only between it
// and the sandbox's namespace that runsc makes.

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_SCRATCH, RUNSC, runsc, testEnv } from './helpers.js';

const isRoot = process.getuid?.() === 0;
const missing = ['ip', 'curl', 'ping', 'python3'].filter((t) => {
  try {
    execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
});
const skipReason = !isRoot ? 'not root' : missing.length ? `missing tools: ${missing.join(', ')}` : '';
if (skipReason) console.warn(`network-sandbox: skipped (${skipReason})`);

/** Bytes moved in each direction (NETWORK_BULK_MB overrides; the 100 MB takes longer than CI should spend). */
const BULK_BYTES = Number(process.env.NETWORK_BULK_MB ?? 16) * 1024 * 1024;
const NS = `tvnet${process.pid}`;
const SANDBOX = '192.168.10.2';
/** A second sandbox, on its own subnet: two veths on one subnet would leave the host's routing to chance. */
const SANDBOX2_IP = '192.168.11.2/24';
const HOST2 = '192.168.11.1';

function inNs(cmd: string[]): string {
  return execFileSync(...nsCommand(cmd), { encoding: 'utf8', timeout: 60_000 });
}

/**
 * A command line run in the test's namespace. nsenter rather than `ip netns
 * exec`: the latter also gives the command a private mount namespace, which
 * would hide the namespace runsc names under /run/netns from the test.
 */
function nsCommand(cmd: string[]): [string, string[]] {
  return ['nsenter', [`--net=/run/netns/${NS}`, '--', ...cmd]];
}

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

/** Runs `cmd` in the test's namespace and resolves with its stdout bytes (rejects on a non-zero exit). */
function outputInNs(cmd: string[], timeoutMs = 120_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(...nsCommand(cmd), { stdio: ['ignore', 'pipe', 'pipe'], env: testEnv() });
    const chunks: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      if (code === 0) resolve(Buffer.concat(chunks));
      else reject(new Error(`${cmd.join(' ')} exited ${code}: ${err}`));
    });
  });
}

/** Stops a child and waits for it to be gone (runsc removes its namespace on the way out). */
function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.on('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('-ip is checked before anything is made', () => {
  it('a bad -ip is one line and exit 2', () => {
    const r = runsc(['do', '-network=sandbox', '-ip', '300.1.2.3', 'true']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('runsc: invalid -ip "300.1.2.3": an IPv4 address with an optional /8../30 prefix\n');
    const net = runsc(['do', '-ip', '192.168.10.0/24', 'true']);
    expect(net.status).toBe(2);
    expect(net.stderr).toContain("the subnet's network or broadcast address");
  });
});

describe.skipIf(skipReason !== '')('runsc do -network=sandbox', () => {
  let dir: string;
  let data: Buffer;
  let sandboxServer: ChildProcess | undefined;
  let hostServer: ChildProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(HOST_SCRATCH, 'tvisor-net-'));
    data = randomBytes(BULK_BYTES);
    writeFileSync(join(dir, 'bulk.bin'), data);
    writeFileSync(join(dir, 'hello.txt'), 'hello from the host side\n');
    execFileSync('ip', ['netns', 'add', NS]);
    inNs(['ip', 'link', 'set', 'lo', 'up']);
    // The sandbox's server: python's http.server, unbuffered so its banner is the readiness signal.
    sandboxServer = await startInNs(
      [process.execPath, RUNSC, 'do', '-network=sandbox', 'python3', '-u', '-m', 'http.server', '8000', '--directory', dir],
      'Serving HTTP',
    );
    hostServer = await startInNs(['python3', '-u', '-m', 'http.server', '8001', '--directory', dir], 'Serving HTTP');
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

  it('the host reaches a server in the sandbox, and a bulk download keeps its checksum', async () => {
    const index = await outputInNs(['curl', '-sS', '-m', '60', `http://${SANDBOX}:8000/hello.txt`]);
    expect(index.toString()).toBe('hello from the host side\n');
    const bulk = await outputInNs(['curl', '-sS', '-m', '100', `http://${SANDBOX}:8000/bulk.bin`]);
    expect(bulk.length).toBe(data.length);
    expect(sha256(bulk)).toBe(sha256(data));
  }, 180_000);

  it('the sandbox reaches a server on the host end, and a bulk download from it keeps its checksum', async () => {
    const small = await outputInNs([
      process.execPath,
      RUNSC,
      'do',
      '-network=sandbox',
      '-ip',
      SANDBOX2_IP,
      'curl',
      '-sS',
      '-m',
      '60',
      `http://${HOST2}:8001/hello.txt`,
    ]);
    expect(small.toString()).toBe('hello from the host side\n');
    const bulk = await outputInNs([
      process.execPath,
      RUNSC,
      'do',
      '-network=sandbox',
      '-ip',
      SANDBOX2_IP,
      'curl',
      '-sS',
      '-m',
      '100',
      `http://${HOST2}:8001/bulk.bin`,
    ]);
    expect(bulk.length).toBe(data.length);
    expect(sha256(bulk)).toBe(sha256(data));
  }, 180_000);

  it('the host pings the sandbox, and the host kernel holds no address on the sandbox link', async () => {
    const out = (await outputInNs(['ping', '-c', '2', '-W', '5', SANDBOX])).toString();
    expect(out).toMatch(/2 packets transmitted, 2 received/);
    // The sandbox's namespace: eth0 is up with no inet/inet6 address at all.
    // runsc names it tvisor-<its pid>; nsenter execs runsc in place, so that is the child's pid.
    const netns = `tvisor-${sandboxServer!.pid}`;
    expect(execFileSync('ip', ['-n', netns, '-o', 'link', 'show', 'dev', 'eth0'], { encoding: 'utf8' })).toMatch(/state UP/);
    expect(execFileSync('ip', ['-n', netns, '-o', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' })).toBe('');
  }, 60_000);
});

let hasIptables = true;
try {
  execFileSync('sh', ['-c', 'command -v iptables'], { stdio: 'ignore' });
} catch {
  hasIptables = false;
  if (!skipReason) console.warn('network-sandbox: outbound NAT skipped (iptables is not installed)');
}

describe.skipIf(skipReason !== '' || !hasIptables)('runsc do -network=sandbox: outbound NAT', () => {
  // Three namespaces, all made here: the test's "host" (runsc runs in it), an
  // "outside" one joined to the host by a veth of its own, and the sandbox's.
  // The outside namespace has no route to the sandbox's subnet, so its
  // server can answer only when the host masquerades the sandbox's packets.
  const HOST_NS = `tvnat${process.pid}`;
  const OUTSIDE_NS = `tvout${process.pid}`;
  const OUTSIDE = '172.31.250.2';
  const SANDBOX3_IP = '192.168.12.2/24';
  const inHost = (cmd: string[]) => execFileSync('nsenter', [`--net=/run/netns/${HOST_NS}`, '--', ...cmd], { encoding: 'utf8', timeout: 60_000 });
  let dir: string;
  let outsideServer: ChildProcess | undefined;
  let serverLog = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(HOST_SCRATCH, 'tvisor-nat-'));
    writeFileSync(join(dir, 'hello.txt'), 'hello from outside\n');
    execFileSync('ip', ['netns', 'add', HOST_NS]);
    execFileSync('ip', ['netns', 'add', OUTSIDE_NS]);
    inHost(['ip', 'link', 'set', 'lo', 'up']);
    inHost(['ip', 'link', 'add', 'tvup', 'type', 'veth', 'peer', 'name', 'tvdown', 'netns', OUTSIDE_NS]);
    inHost(['ip', 'addr', 'add', '172.31.250.1/24', 'dev', 'tvup']);
    inHost(['ip', 'link', 'set', 'tvup', 'up']);
    execFileSync('ip', ['-n', OUTSIDE_NS, 'addr', 'add', `${OUTSIDE}/24`, 'dev', 'tvdown']);
    execFileSync('ip', ['-n', OUTSIDE_NS, 'link', 'set', 'tvdown', 'up']);
    execFileSync('ip', ['-n', OUTSIDE_NS, 'link', 'set', 'lo', 'up']);
    // Forwarding off in the host (a new namespace may inherit it on): runsc must turn it on, and off again.
    inHost(['sh', '-c', 'echo 0 > /proc/sys/net/ipv4/ip_forward']);
    expect(inHost(['cat', '/proc/sys/net/ipv4/ip_forward']).trim()).toBe('0');
    const child = spawn('nsenter', [`--net=/run/netns/${OUTSIDE_NS}`, '--', 'python3', '-u', '-m', 'http.server', '8002', '--directory', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    outsideServer = child;
    child.stderr.on('data', (d) => (serverLog += d));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('Serving HTTP')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`outside server exited ${code}: ${serverLog}`)));
    });
  }, 120_000);

  afterAll(async () => {
    await stop(outsideServer);
    for (const ns of [HOST_NS, OUTSIDE_NS]) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // never made
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Resolves once the outside server has logged a request for `path`. */
  const served = (path: string) =>
    new Promise<void>((resolve) => {
      const check = () => (serverLog.includes(`GET ${path}`) ? resolve() : outsideServer!.stderr!.once('data', () => setImmediate(check)));
      check();
    });

  it('the sandbox reaches a server beyond the host end, seen from the host end address; the rules and forwarding are gone afterwards', async () => {
    const out = execFileSync(
      'nsenter',
      [
        `--net=/run/netns/${HOST_NS}`,
        '--',
        process.execPath,
        RUNSC,
        'do',
        '-network=sandbox',
        '-ip',
        SANDBOX3_IP,
        'curl',
        '-sS',
        '-m',
        '60',
        `http://${OUTSIDE}:8002/hello.txt`,
      ],
      { encoding: 'utf8', timeout: 120_000, env: testEnv() },
    );
    expect(out).toBe('hello from outside\n');
    await served('/hello.txt');
    // Masqueraded: the outside server saw the host's address on its link, not the sandbox's.
    expect(serverLog).toContain('172.31.250.1 - -');
    expect(serverLog).not.toContain('192.168.12.2');
    expect(inHost(['iptables', '-t', 'nat', '-S', 'POSTROUTING'])).not.toContain('MASQUERADE');
    expect(inHost(['iptables', '-S', 'FORWARD'])).not.toContain('tvh');
    expect(inHost(['cat', '/proc/sys/net/ipv4/ip_forward']).trim()).toBe('0');
  }, 180_000);

  it('without iptables or nft, runsc says in one line that there is no outbound NAT, and the sandbox still runs', () => {
    // A PATH holding only ip: runsc finds no firewall tool.
    const bin = mkdtempSync(join(HOST_SCRATCH, 'tvisor-nat-path-'));
    try {
      execFileSync('ln', ['-s', execFileSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).trim(), join(bin, 'ip')]);
      const r = spawnSync(
        execFileSync('sh', ['-c', 'command -v nsenter'], { encoding: 'utf8' }).trim(),
        [`--net=/run/netns/${HOST_NS}`, '--', process.execPath, RUNSC, 'do', '-network=sandbox', '-ip', SANDBOX3_IP, '/bin/echo', 'ran'],
        { encoding: 'utf8', timeout: 120_000, env: { ...testEnv(), PATH: bin } },
      );
      expect(r.stdout).toBe('ran\n');
      expect(r.stderr).toBe(
        'runsc: -network=sandbox: no outbound NAT, the sandbox reaches only the host end 192.168.12.1: neither iptables nor nft is installed\n',
      );
      expect(r.status).toBe(0);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  }, 180_000);
});
