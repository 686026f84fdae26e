import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { native, runsc } from './helpers.js';

describe('runsc do: /sys holds what programs probe', () => {
  it('the CPU count agrees everywhere: nproc, /sys/devices/system/cpu/online, sysconf, python, node', () => {
    const script = [
      'nproc',
      'cat /sys/devices/system/cpu/online /sys/devices/system/cpu/possible /sys/devices/system/cpu/present',
      'getconf _NPROCESSORS_ONLN',
      'python3 -c "import os; print(os.cpu_count(), len(os.sched_getaffinity(0)))"',
      `${process.execPath} -e "const os = require('os'); console.log(os.availableParallelism(), os.cpus().length)"`,
      'ls -d /sys/devices/system/cpu/cpu[0-9]* | wc -l',
      'cat /sys/devices/system/cpu/cpu0/topology/core_siblings_list',
    ].join('; ');
    const r = runsc(['do', '/bin/sh', '-c', script]);
    expect(r.stderr).toBe('');
    const [nproc, online, possible, present, sysconf, python, node, dirs, siblings] = r.stdout.trim().split('\n');
    const n = Number(nproc);
    const list = n === 1 ? '0' : `0-${n - 1}`;
    expect([online, possible, present, siblings]).toEqual([list, list, list, list]);
    expect([sysconf, python, node, dirs]).toEqual([nproc, `${n} ${n}`, `${n} ${n}`, nproc]);
    // The sandbox runs on the host's CPUs: the same count as the host's nproc.
    expect(nproc).toBe(native(['nproc']).stdout.trim());
  });

  it('transparent hugepage settings read as a kernel that does not use them', () => {
    const r = runsc(['do', '/bin/sh', '-c', 'cd /sys/kernel/mm/transparent_hugepage && cat enabled defrag hpage_pmd_size']);
    expect(r.stdout).toBe('always madvise [never]\nalways defer defer+madvise madvise [never]\n2097152\n');
    // The host's files have the same shape: one bracketed choice among the words.
    const host = readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8');
    expect(host).toMatch(/^(\[?\w+\]? )+\[?\w+\]?\n$/);
  });

  it("a cgroup v2 view at /sys/fs/cgroup with the sandbox's limits, found the way runtimes find it", () => {
    const script = [
      'cat /proc/self/cgroup',
      'grep " /sys/fs/cgroup " /proc/self/mountinfo | sed "s/^[0-9]* [0-9]* [0-9:]* //"',
      'stat -f -c %T /sys/fs/cgroup',
      'cd /sys/fs/cgroup && cat cgroup.controllers cpu.max memory.max pids.max cpuset.cpus.effective',
      'test "$(cat memory.current)" -gt 0 && echo memory.current ok',
      'grep -c . cgroup.procs', // the shell and grep
      'grep -q "^1$" cgroup.procs && echo init listed',
    ].join('; ');
    const r = runsc(['do', '/bin/sh', '-c', script]);
    expect(r.stderr).toBe('');
    const n = Number(native(['nproc']).stdout.trim());
    expect(r.stdout).toBe(
      '0::/\n/ /sys/fs/cgroup ro,relatime - cgroup2 cgroup2 ro\ncgroup2fs\n' +
        `cpuset cpu memory pids\nmax 100000\nmax\nmax\n${n === 1 ? '0' : `0-${n - 1}`}\n` +
        'memory.current ok\n2\ninit listed\n',
    );
  });
});
