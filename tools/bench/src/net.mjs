#!/usr/bin/env node
// Network benchmarks (issue 15), in one run, printed as ratios. Not a test:
// nothing here asserts on time. Traffic goes only to loopback and to network
// namespaces made here; every transfer is bounded in time (iperf3 -t) or
// count (HTTP requests).
//   loopback: iperf3 -s and iperf3 -c 127.0.0.1 in one sandbox, and N HTTP
//             requests from a Node client to a Node server in one process;
//             natively, under tVisor and under Debian's gVisor (--network=none).
//   veth:     iperf3 from a namespace made here to `runsc do -network=sandbox`
//             (needs root), both directions, next to the same transfer
//             between two plain namespaces joined by a veth.
// Flags: --only=iperf,http,veth  --platforms=ptrace,systrap  --seconds=3
//        --requests=200  --runs=3
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repo = resolve(new URL('../../..', import.meta.url).pathname);
const runscJs = join(repo, 'packages/runsc/bin/runsc.js');
const gvisor = existsSync('/usr/bin/runsc') ? ['/usr/bin/runsc', '--network=none'] : undefined;
const args = process.argv.slice(2);
const flag = (name, dflt) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const platforms = flag('platforms', 'ptrace').split(',');
const only = flag('only', 'iperf,http,veth').split(',');
const seconds = Number(flag('seconds', 3));
const requests = Number(flag('requests', 200));
const runs = Number(flag('runs', 3));
const kinds = ['native', ...platforms, ...(gvisor ? ['gvisor'] : [])];

if (spawnSync('iperf3', ['--version']).status !== 0) {
  console.error('net bench: iperf3 is not installed (apt-get install -y iperf3)');
  process.exit(1);
}

function sandboxed(kind, cmd) {
  if (kind === 'native') return cmd;
  if (kind === 'gvisor') return [...gvisor, 'do', ...cmd];
  return ['node', runscJs, `--platform=${kind}`, 'do', ...cmd];
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Runs `cmd` and returns its stdout; throws with its stderr when it fails. */
function output(cmd, timeoutMs = 120_000) {
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}`);
  return r.stdout;
}

const fmt = (v) => (v === undefined ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(0));
const ratio = (a, b) => (a !== undefined && b !== undefined ? (a / b).toFixed(2) + 'x' : '-');

function report(name, unit, values, lowerIsBetter) {
  const ratios = platforms.map((p) => `${p}/native ${ratio(values[p], values.native)}  ${p}/gvisor ${ratio(values[p], values.gvisor)}`).join('  ');
  const cols = Object.keys(values).map((k) => `${k} ${fmt(values[k])} ${unit}`);
  console.log(`${name.padEnd(34)} ${cols.join('  ')}  ${ratios}` + (lowerIsBetter ? '' : ' (higher is better)'));
}

// Under /var/tmp: the sandbox's /tmp is a fresh tmpfs that does not show the host's.
const dir = mkdtempSync(join('/var/tmp', 'tvisor-netbench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** iperf3 client's received bits per second, from its JSON report. */
const receivedBps = (json) => JSON.parse(json).end.sum_received.bits_per_second;

// (a) iperf3 server and client on loopback in one sandbox. The server's
// banner (flushed at once with --forceflush) is the signal to connect.
if (only.includes('iperf')) {
  const script =
    `iperf3 -s -1 --forceflush > ${dir}/server.log 2>&1 & ` +
    `until grep -q listening ${dir}/server.log 2>/dev/null; do sleep 0.02; done; ` +
    `iperf3 -c 127.0.0.1 -t ${seconds} -J; wait`;
  const rate = {};
  for (const k of kinds) rate[k] = median(Array.from({ length: runs }, () => receivedBps(output(sandboxed(k, ['/bin/bash', '-c', script]))) / 1e9));
  report(`iperf3 loopback (${seconds} s)`, 'Gb/s', rate, false);
}

// (a) HTTP: a Node server and a Node client in one process, one connection per request.
if (only.includes('http')) {
  writeFileSync(
    join(dir, 'http.cjs'),
    `const http = require('http');
const n = Number(process.argv[2]);
const server = http.createServer((req, res) => res.end('hello\\n'));
server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  const agent = new http.Agent({ keepAlive: false });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    await new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
    });
  }
  console.log(Number(process.hrtime.bigint() - t0) / 1e6);
  server.close();
});
`,
  );
  const ms = {};
  for (const k of kinds)
    ms[k] = median(Array.from({ length: runs }, () => Number(output(sandboxed(k, [process.execPath, join(dir, 'http.cjs'), String(requests)])))));
  report(`${requests} HTTP requests (Node)`, 'ms', ms, true);
}

/** Starts `cmd`; resolves with the child once its stdout shows `ready`. */
function startUntil(cmd, ready) {
  const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((res, rej) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes(ready)) res(child);
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => rej(new Error(`${cmd.join(' ')} exited ${code}: ${err}`)));
  });
}

const exited = (child) => new Promise((res) => (child.exitCode !== null || child.signalCode !== null ? res() : child.on('exit', () => res())));

async function veth() {
  const id = process.pid;
  const [host, peer] = [`tvbh${id}`, `tvbp${id}`];
  const ns = (name, cmd) => ['nsenter', `--net=/run/netns/${name}`, '--', ...cmd];
  const made = [];
  try {
    for (const n of [host, peer]) {
      execFileSync('ip', ['netns', 'add', n]);
      made.push(n);
      execFileSync('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
    }
    // The native pair: a veth between the two namespaces.
    execFileSync('ip', ['-n', host, 'link', 'add', 'tvb0', 'type', 'veth', 'peer', 'name', 'tvb1', 'netns', peer]);
    execFileSync('ip', ['-n', host, 'addr', 'add', '172.31.251.1/24', 'dev', 'tvb0']);
    execFileSync('ip', ['-n', peer, 'addr', 'add', '172.31.251.2/24', 'dev', 'tvb1']);
    execFileSync('ip', ['-n', host, 'link', 'set', 'tvb0', 'up']);
    execFileSync('ip', ['-n', peer, 'link', 'set', 'tvb1', 'up']);
    const rates = { toSandbox: {}, fromSandbox: {} };
    for (const [dirName, reverse] of [
      ['toSandbox', []],
      ['fromSandbox', ['-R']],
    ]) {
      const once = async (serverCmd, address) => {
        const server = await startUntil(serverCmd, 'listening');
        try {
          return receivedBps(output(ns(host, ['iperf3', '-c', address, '-t', String(seconds), '-J', ...reverse]))) / 1e9;
        } finally {
          await exited(server);
        }
      };
      const native = [];
      for (let i = 0; i < runs; i++) native.push(await once(ns(peer, ['iperf3', '-s', '-1', '--forceflush']), '172.31.251.2'));
      rates[dirName].native = median(native);
      for (const p of platforms) {
        const got = [];
        for (let i = 0; i < runs; i++)
          got.push(await once(ns(host, ['node', runscJs, `--platform=${p}`, 'do', '-network=sandbox', 'iperf3', '-s', '-1', '--forceflush']), '192.168.10.2'));
        rates[dirName][p] = median(got);
      }
    }
    report(`iperf3 host -> sandbox, veth (${seconds} s)`, 'Gb/s', rates.toSandbox, false);
    report(`iperf3 sandbox -> host, veth (${seconds} s)`, 'Gb/s', rates.fromSandbox, false);
  } finally {
    for (const n of made) spawnSync('ip', ['netns', 'del', n]);
  }
}

// (b) Over a veth: host to sandbox and back, next to two plain namespaces.
if (only.includes('veth')) {
  if (process.getuid?.() !== 0) console.log('veth: skipped (needs root)');
  else await veth();
}
