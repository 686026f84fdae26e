import { describe, expect, it } from 'vitest';
import { runsc } from './helpers.js';

const BUSYBOX = '/bin/busybox';

describe('runsc do: /proc is the sandbox\'s own', () => {
  it('lists only sandbox processes, with /proc/self naming the caller', () => {
    const r = runsc(['do', BUSYBOX, 'sh', '-c', 'ls /proc | grep -E "^[0-9]+$"; readlink /proc/self; echo $$']);
    const lines = r.stdout.trim().split('\n');
    // init (the shell, pid 1), ls and grep of the pipeline; readlink runs next, as pid 4; $$ is 1.
    expect(lines.slice(0, -2)).toEqual(['1', '2', '3']);
    expect(lines.at(-2)).toBe('4');
    expect(lines.at(-1)).toBe('1');
  });

  it('/proc/PID files describe the process as Linux does', () => {
    const r = runsc(['do', BUSYBOX, 'sh', '-c', 'cat /proc/self/cmdline | tr "\\0" " "; echo; grep -E "^(Pid|PPid|State):" /proc/$$/status; cut -d" " -f1-5 /proc/$$/stat; readlink /proc/1/exe']);
    expect(r.stdout).toBe('cat /proc/self/cmdline \nState:\tS (sleeping)\nPid:\t1\nPPid:\t0\n1 (busybox) S 0 1\n/bin/busybox\n');
  });

  it('never shows the host: /proc/self/exe is the program, not the sentry', () => {
    const r = runsc(['do', BUSYBOX, 'readlink', '/proc/self/exe']);
    expect(r.stdout).toBe('/bin/busybox\n');
    const u = runsc(['do', BUSYBOX, 'cat', '/proc/sys/kernel/osrelease']);
    expect(u.stdout).toBe('6.1.0-tvisor\n');
  });

  it('ps sees the sandbox processes', () => {
    const r = runsc(['do', BUSYBOX, 'sh', '-c', 'ps -o pid,comm | tail -n +2']);
    expect(r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)[0])).toEqual(['1', '2', '3']);
  });
});
