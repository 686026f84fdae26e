#!/usr/bin/env node
// Benchmarks tVisor (on each of its platforms: ptrace, systrap) next to
// native execution and Debian's gVisor (runsc --network=none do) in one run,
// and prints the ratios. Not a test: nothing here asserts on time.
// --platforms=ptrace,systrap picks tVisor's platforms; --only=getpid,pipe
// picks cases (getpid, clock, startup, loop, pipe, cat); --mib=N and
// --loops=N shrink the pipe/cat sizes (256) and the loop's count (200) so a
// run fits in a minute on a loaded machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repo = resolve(new URL('../../..', import.meta.url).pathname);
const tvisor = ['node', join(repo, 'packages/runsc/bin/runsc.js')];
const gvisor = existsSync('/usr/bin/runsc') ? ['/usr/bin/runsc', '--network=none'] : undefined;
const args = process.argv.slice(2);
const platforms = (args.find((a) => a.startsWith('--platforms='))?.slice(12) ?? 'ptrace,systrap').split(',');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const wanted = (name) => !only || only.includes(name);
const runs = Number(args.find((a) => a.startsWith('--runs='))?.slice(7) ?? 5);

/** Wall time of one run, in milliseconds; throws when the command fails. */
function timeOnce(cmd) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeMedian(cmd, n = runs) {
  timeOnce(cmd); // warm caches
  return median(Array.from({ length: n }, () => timeOnce(cmd)));
}

/**
 * Milliseconds a bash script's workload takes, timed inside the sandbox with
 * bash's $EPOCHREALTIME, so the sandbox's own start-up (row 2) is not
 * counted: the median of `n` runs after a warm-up.
 */
function timeInsideMedian(kind, script, n = runs) {
  const cmd = sandboxed(kind, ['/bin/bash', '-c', `s=$EPOCHREALTIME; ${script}; e=$EPOCHREALTIME; echo "$s $e"`]);
  const once = () => {
    const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) throw new Error(`${cmd.join(' ')} exited ${r.status}: ${r.stderr}`);
    const [start, end] = r.stdout.trim().split(/\s+/).map(Number);
    return (end - start) * 1000;
  };
  once();
  return median(Array.from({ length: n }, once));
}

function sandboxed(kind, cmd) {
  if (kind === 'native') return cmd;
  if (kind === 'gvisor') return [...gvisor, 'do', ...cmd];
  return [...tvisor, `--platform=${kind}`, 'do', ...cmd];
}

const kinds = ['native', ...platforms, ...(gvisor ? ['gvisor'] : [])];
const results = [];

function report(name, unit, values, lowerIsBetter = true) {
  const row = { name, unit, ...values };
  results.push(row);
  const fmt = (v) => (v === undefined ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(0));
  const ratio = (a, b) => (a !== undefined && b !== undefined ? (a / b).toFixed(2) + 'x' : '-');
  const ratios = platforms.map((p) => `${p}/native ${ratio(values[p], values.native)}  ${p}/gvisor ${ratio(values[p], values.gvisor)}`).join('  ');
  console.log(`${name.padEnd(34)} ${kinds.map((k) => `${k} ${fmt(values[k])} ${unit}`).join('  ')}  ${ratios}` + (lowerIsBetter ? '' : ' (higher is better)'));
}

// 1. The cost of one emulated syscall: a static C loop of getpid(), timed at
//    two sizes so process start-up cancels out.
// Under /var/tmp: the sandbox's /tmp is a fresh tmpfs that does not show the host's.
const dir = mkdtempSync(join('/var/tmp', 'tvisor-bench-'));
writeFileSync(
  join(dir, 'getpid.c'),
  '#include <stdlib.h>\n#include <unistd.h>\n#include <sys/syscall.h>\n' +
    'int main(int c, char **v) { long n = atol(v[1]); for (long i = 0; i < n; i++) syscall(SYS_getpid); return 0; }\n',
);
execFileSync('gcc', ['-O2', '-static', '-o', join(dir, 'getpid'), join(dir, 'getpid.c')]);
const small = 1000;
const large = Number(args.find((a) => a.startsWith('--syscalls='))?.slice(11) ?? 100000);
const perSyscall = {};
for (const k of wanted('getpid') ? kinds : []) {
  const n = k === 'native' ? large * 10 : large;
  const t1 = timeMedian(sandboxed(k, [join(dir, 'getpid'), String(small)]));
  const t2 = timeMedian(sandboxed(k, [join(dir, 'getpid'), String(n)]));
  perSyscall[k] = ((t2 - t1) * 1e6) / (n - small);
}
if (wanted('getpid')) report('getpid syscall', 'ns', perSyscall);

// 1b. clock_gettime through libc (the vDSO where there is one): calls per
//     second over 0.5 s of the program's own CLOCK_MONOTONIC, median of runs.
writeFileSync(
  join(dir, 'clock.c'),
  '#include <stdio.h>\n#include <time.h>\n' +
    'int main(void) { struct timespec s, t; long n = 0; clock_gettime(CLOCK_MONOTONIC, &s);\n' +
    '  do { clock_gettime(CLOCK_MONOTONIC, &t); n++; } while ((t.tv_sec - s.tv_sec) * 1e9 + (t.tv_nsec - s.tv_nsec) < 5e8);\n' +
    '  printf("%.0f\\n", n / 0.5); return 0; }\n',
);
execFileSync('gcc', ['-O2', '-static', '-o', join(dir, 'clock'), join(dir, 'clock.c')]);
if (wanted('clock')) {
  const rate = {};
  for (const k of kinds) {
    const once = () => Number(execFileSync(sandboxed(k, [join(dir, 'clock')])[0], sandboxed(k, [join(dir, 'clock')]).slice(1), { encoding: 'utf8' }).trim());
    rate[k] = median(Array.from({ length: runs }, once)) / 1e6;
  }
  report('clock_gettime (vDSO)', 'M/s', rate, false);
}

// 2. Start-up: the wall time of running /bin/true.
if (wanted('startup')) {
  const startup = {};
  for (const k of kinds) startup[k] = timeMedian(sandboxed(k, ['/bin/true']));
  report('runsc do /bin/true', 'ms', startup);
}

// 3-5 time the workload inside the sandbox (see timeInsideMedian).
// 3. Process creation: a bash loop running /bin/true 200 times (--loops).
const LOOPS = Number(args.find((a) => a.startsWith('--loops='))?.slice(8) ?? 200);
if (wanted('loop')) {
  const loop = {};
  for (const k of kinds) loop[k] = timeInsideMedian(k, `for i in $(seq 1 ${LOOPS}); do /bin/true; done`, Math.min(runs, 3));
  report(`bash: ${LOOPS} x /bin/true`, 'ms', loop);
}

// 4. Pipe throughput: 256 MiB from /dev/zero through a pipe (MB/s, higher is better).
const MIB = Number(args.find((a) => a.startsWith('--mib='))?.slice(6) ?? 256);
if (wanted('pipe')) {
  const pipeRate = {};
  for (const k of kinds) {
    const ms = timeInsideMedian(k, `head -c ${MIB}M /dev/zero | cat > /dev/null`, Math.min(runs, 3));
    pipeRate[k] = (MIB * 1048576) / 1e6 / (ms / 1000);
  }
  report(`head -c ${MIB}M /dev/zero | cat`, 'MB/s', pipeRate, false);
}

// 5. Reading a host file: cat of a 256 MiB file to /dev/null (MB/s).
if (wanted('cat')) {
  const big = join('/var/tmp', `tvisor-bench-${process.pid}.bin`);
  execFileSync('head', ['-c', `${MIB}M`, '/dev/urandom'], { stdio: ['ignore', openSync(big, 'w'), 'inherit'] });
  const catRate = {};
  for (const k of kinds) {
    const ms = timeInsideMedian(k, `cat ${big} > /dev/null`, Math.min(runs, 3));
    catRate[k] = (MIB * 1048576) / 1e6 / (ms / 1000);
  }
  rmSync(big);
  report(`cat ${MIB} MiB host file`, 'MB/s', catRate, false);
}

if (args.includes('--json')) console.log(JSON.stringify(results, null, 2));
