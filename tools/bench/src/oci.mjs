#!/usr/bin/env node
// `podman run --rm IMAGE /bin/true` wall time with tVisor, Debian's gVisor
// (/usr/bin/runsc) and runc as podman's runtime, in one run, as ratios to
// runc; the same through `docker run --rm` (a dockerd started here, as
// oci-docker.test.ts starts it: own roots and socket, no iptables, no
// bridge; skipped with the reason when it cannot start); and the idle
// sandbox's RSS (`sleep 60`) for tVisor and gVisor.
// Then one more run per runtime through a wrapper that logs each runtime
// invocation podman (conmon) makes, with its wall time: where the time goes.
// `--before=PATH/bin/runsc.js` adds a second tVisor build (e.g. a copy of
// an earlier one) to the same run, so before and after share the machine's
// load. Not a test: nothing here asserts on time. Needs root, podman,
// busybox-static.
// Private podman storage (vfs driver) under a temp dir; ulimits given
// explicitly because runc cannot raise RLIMIT_NOFILE to podman's default here.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repo = resolve(new URL('../../..', import.meta.url).pathname);
const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 3);
const before = process.argv.find((a) => a.startsWith('--before='))?.slice(9);
const dir = mkdtempSync('/var/tmp/tvisor-bench-oci-');
const podman = [
  'podman',
  '--root',
  join(dir, 'storage'),
  '--runroot',
  join(dir, 'run'),
  '--storage-driver',
  'vfs',
  '--cgroup-manager',
  'cgroupfs',
  '--events-backend',
  'file',
];
const runtimes = {
  runc: ['--runtime', '/usr/sbin/runc'],
  gvisor: ['--runtime', '/usr/bin/runsc', '--runtime-flag', 'network=none'],
  tvisor: ['--runtime', join(repo, 'packages/runsc/bin/runsc.js')],
};
if (before) runtimes['tvisor-before'] = ['--runtime', resolve(before)];
const runFlags = ['run', '--rm', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

const rootfs = join(dir, 'rootfs');
for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp']) mkdirSync(join(rootfs, d), { recursive: true });
copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
execFileSync(join(rootfs, 'bin/busybox'), ['--install', join(rootfs, 'bin')]);
execFileSync('tar', ['-C', rootfs, '-cf', join(dir, 'image.tar'), '.']);
execFileSync(podman[0], [...podman.slice(1), 'import', join(dir, 'image.tar'), 'tvbench'], { stdio: 'ignore' });

function timeOnce(runtime) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(podman[0], [...podman.slice(1), ...runtimes[runtime], ...runFlags, 'tvbench', '/bin/true'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${runtime}: podman exited ${r.status}: ${r.stderr.trim()}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** RSS, PSS and anonymous memory (KiB) of the sandbox's largest process while `sleep 60` runs in a detached container. */
function idleRss(runtime) {
  const name = `rss-${runtime}`;
  execFileSync(
    podman[0],
    [...podman.slice(1), ...runtimes[runtime], 'run', '-d', '--name', name, '--network', 'none', '--ulimit', 'nofile=1024:1024', 'tvbench', 'sleep', '60'],
    { stdio: 'ignore' },
  );
  try {
    // The pid podman was given (--pid-file): the sandbox process, and for gVisor its children too.
    const pid = execFileSync(podman[0], [...podman.slice(1), 'inspect', '--format', '{{.State.Pid}}', name], { encoding: 'utf8' }).trim();
    const pids = [pid, ...spawnSync('pgrep', ['-P', pid], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)];
    const field = (p, name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    const largest = pids.sort((a, b) => field(b, 'Rss') - field(a, 'Rss'))[0];
    return largest ? { rss: field(largest, 'Rss'), pss: field(largest, 'Pss'), anon: field(largest, 'Anonymous') } : { rss: 0, pss: 0, anon: 0 };
  } finally {
    spawnSync(podman[0], [...podman.slice(1), 'rm', '-f', '-t', '0', name], { stdio: 'ignore' });
  }
}

/**
 * One `podman run --rm /bin/true` through a wrapper that logs each runtime
 * invocation (its subcommand and wall time): what podman waits for.
 */
function traceOnce(runtime) {
  const log = join(dir, `trace-${runtime}.log`);
  const wrapper = join(dir, `trace-${runtime}.sh`);
  const real = runtimes[runtime][1];
  writeFileSync(
    wrapper,
    `#!/bin/sh
sub=?
for a in "$@"; do case "$a" in create|start|state|kill|delete|exec|run|wait|events|ps|features) sub=$a; break;; esac; done
s=$(date +%s%N)
${JSON.stringify(real)} "$@"
rc=$?
echo "$s $(date +%s%N) $rc $sub" >> ${JSON.stringify(log)}
exit $rc
`,
  );
  chmodSync(wrapper, 0o755);
  rmSync(log, { force: true });
  const flags = [...runtimes[runtime]];
  flags[1] = wrapper;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(podman[0], [...podman.slice(1), ...flags, ...runFlags, 'tvbench', '/bin/true'], { encoding: 'utf8' });
  const total = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${runtime}: podman exited ${r.status}: ${r.stderr.trim()}`);
  const calls = existsSync(log)
    ? readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => {
          const [s, e, rc, sub] = l.split(' ');
          return { sub, rc: Number(rc), ms: Number(BigInt(e) - BigInt(s)) / 1e6 };
        })
    : [];
  const inRuntime = calls.reduce((n, c) => n + c.ms, 0);
  return `${runtime}: ${calls.map((c) => `${c.sub} ${c.ms.toFixed(0)}${c.rc ? ` (exit ${c.rc})` : ''}`).join(', ')}; in the runtime ${inRuntime.toFixed(0)} of ${total.toFixed(0)} ms`;
}

const times = {};
for (const rt of Object.keys(runtimes)) {
  try {
    timeOnce(rt);
    times[rt] = [];
  } catch (e) {
    times[rt] = undefined;
    console.error(e.message.split('\n')[0]);
  }
}
// Round-robin, so the load's drift falls on every runtime alike.
for (let i = 0; i < runs; i++) for (const rt of Object.keys(runtimes)) if (times[rt]) times[rt].push(timeOnce(rt));
for (const rt of Object.keys(runtimes)) times[rt] = times[rt] ? median(times[rt]) : NaN;
console.log(
  `load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}; NODE_EXTRA_CA_CERTS ${process.env.NODE_EXTRA_CA_CERTS ? 'set' : 'unset'}`,
);
console.log(
  `podman run --rm /bin/true, median of ${runs} (ms): ` +
    Object.entries(times)
      .map(([k, v]) => `${k} ${v.toFixed(0)}`)
      .join(', '),
);
console.log(
  `ratios: tvisor/runc ${(times.tvisor / times.runc).toFixed(2)}x, tvisor/gvisor ${(times.tvisor / times.gvisor).toFixed(2)}x` +
    (before ? `, tvisor-before/gvisor ${(times['tvisor-before'] / times.gvisor).toFixed(2)}x` : ''),
);
console.log('where the time goes (one run each, wall ms per runtime invocation):');
for (const rt of Object.keys(runtimes)) {
  try {
    console.log('  ' + traceOnce(rt));
  } catch (e) {
    console.error(e.message.split('\n')[0]);
  }
}
/** dockerd with every runtime in its daemon.json (runc is its default); undefined (and why, on stderr) when it cannot start. */
async function startDockerd() {
  const sock = join(dir, 'docker.sock');
  const dockerRuntimes = Object.fromEntries(
    Object.entries(runtimes)
      .filter(([rt]) => rt !== 'runc')
      .map(([rt, flags]) => [
        rt,
        {
          path: flags[1],
          runtimeArgs: flags
            .slice(2)
            .filter((f) => f !== '--runtime-flag')
            .map((f) => `--${f}`),
        },
      ]),
  );
  writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ runtimes: dockerRuntimes }));
  const args = ['--config-file', join(dir, 'daemon.json'), '--data-root', join(dir, 'docker-data'), '--exec-root', join(dir, 'docker-exec')];
  args.push(
    '--pidfile',
    join(dir, 'docker.pid'),
    '--host',
    `unix://${sock}`,
    '--storage-driver',
    'vfs',
    '--iptables=false',
    '--ip6tables=false',
    '--bridge=none',
  );
  const daemon = spawn('dockerd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const up = await new Promise((resolve) => {
    let log = '';
    daemon.stderr.on('data', (d) => {
      log += d.toString();
      if (log.includes('API listen on')) resolve(true);
    });
    daemon.on('error', (e) => resolve(`dockerd: ${e.message}`));
    daemon.on('exit', (code) => resolve(`dockerd exited ${code}: ${log.trim().split('\n').pop()}`));
  });
  if (up !== true) {
    console.error(`docker rows skipped: ${up}`);
    return undefined;
  }
  const docker = (a, opts = {}) => spawnSync('docker', ['-H', `unix://${sock}`, ...a], { encoding: 'utf8', ...opts });
  const stop = async () => {
    if (daemon.exitCode !== null || daemon.signalCode !== null) return;
    const done = new Promise((r) => daemon.on('exit', r));
    daemon.kill('SIGTERM');
    await done;
  };
  const imported = docker(['import', join(dir, 'image.tar'), 'tvbench']);
  if (imported.status !== 0) {
    console.error(`docker rows skipped: docker import: ${imported.stderr.trim()}`);
    await stop();
    return undefined;
  }
  return { docker, stop };
}

const dockerd = await startDockerd();
if (dockerd) {
  const dockerOnce = (rt) => {
    const t0 = process.hrtime.bigint();
    const r = dockerd.docker(['run', '--rm', `--runtime=${rt}`, '--network', 'none', 'tvbench', '/bin/true']);
    if (r.status !== 0) throw new Error(`docker ${rt}: exited ${r.status}: ${r.stderr.trim()}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const dtimes = {};
  for (const rt of Object.keys(runtimes)) {
    try {
      dockerOnce(rt);
      dtimes[rt] = [];
    } catch (e) {
      console.error(e.message.split('\n')[0]);
    }
  }
  for (let i = 0; i < runs; i++) for (const rt of Object.keys(dtimes)) dtimes[rt].push(dockerOnce(rt));
  const med = Object.fromEntries(Object.entries(dtimes).map(([rt, xs]) => [rt, median(xs)]));
  console.log(
    `docker run --rm /bin/true, median of ${runs} (ms): ` +
      Object.entries(med)
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(', '),
  );
  console.log(
    `ratios: tvisor/runc ${(med.tvisor / med.runc).toFixed(2)}x, tvisor/gvisor ${(med.tvisor / med.gvisor).toFixed(2)}x` +
      (before ? `, tvisor-before/gvisor ${(med['tvisor-before'] / med.gvisor).toFixed(2)}x` : ''),
  );
  await dockerd.stop();
}

const rss = Object.fromEntries(
  Object.keys(runtimes)
    .filter((rt) => rt !== 'runc')
    .map((rt) => [rt, idleRss(rt)]),
);
console.log(
  'idle sandbox memory (sleep 60), KiB: ' +
    Object.entries(rss)
      .map(([rt, m]) => `${rt} RSS ${m.rss} (PSS ${m.pss}, anonymous ${m.anon})`)
      .join(', '),
);
spawnSync(podman[0], [...podman.slice(1), 'rm', '-af', '-t', '0'], { stdio: 'ignore' });
try {
  rmSync(dir, { recursive: true, force: true });
} catch (e) {
  console.error(`left behind: ${dir} (${e.code})`);
}
