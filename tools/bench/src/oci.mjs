#!/usr/bin/env node
// `podman run --rm IMAGE /bin/true` wall time with tVisor, Debian's gVisor
// (/usr/bin/runsc) and runc as podman's runtime, in one run, as ratios to
// runc; and the idle sandbox's RSS (`sleep 60`) for tVisor and gVisor.
// Not a test: nothing here asserts on time. Needs root, podman, busybox-static.
// Private podman storage (vfs driver) under a temp dir; ulimits given
// explicitly because runc cannot raise RLIMIT_NOFILE to podman's default here.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repo = resolve(new URL('../../..', import.meta.url).pathname);
const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 3);
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

/** RSS (KiB) of the runtime's largest process while `sleep 60` runs in a detached container. */
function idleRss(runtime) {
  const name = `rss-${runtime}`;
  execFileSync(
    podman[0],
    [...podman.slice(1), ...runtimes[runtime], 'run', '-d', '--name', name, '--network', 'none', '--ulimit', 'nofile=1024:1024', 'tvbench', 'sleep', '60'],
    { stdio: 'ignore' },
  );
  try {
    const pattern = runtime === 'tvisor' ? `runsc.js.* boot .*` : 'runsc-sandbox';
    const pids = spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    return Math.max(0, ...pids.map((p) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0)));
  } finally {
    spawnSync(podman[0], [...podman.slice(1), 'rm', '-f', '-t', '0', name], { stdio: 'ignore' });
  }
}

const times = {};
for (const rt of Object.keys(runtimes)) {
  try {
    timeOnce(rt);
    times[rt] = median(Array.from({ length: runs }, () => timeOnce(rt)));
  } catch (e) {
    times[rt] = NaN;
    console.error(e.message.split('\n')[0]);
  }
}
console.log(
  `podman run --rm /bin/true, median of ${runs} (ms): ` +
    Object.entries(times)
      .map(([k, v]) => `${k} ${v.toFixed(0)}`)
      .join(', '),
);
console.log(`ratios: tvisor/runc ${(times.tvisor / times.runc).toFixed(2)}x, tvisor/gvisor ${(times.tvisor / times.gvisor).toFixed(2)}x`);
console.log(`idle sandbox RSS (sleep 60): tvisor ${idleRss('tvisor')} KiB, gvisor ${idleRss('gvisor')} KiB`);
spawnSync(podman[0], [...podman.slice(1), 'rm', '-af', '-t', '0'], { stdio: 'ignore' });
try {
  rmSync(dir, { recursive: true, force: true });
} catch (e) {
  console.error(`left behind: ${dir} (${e.code})`);
}
