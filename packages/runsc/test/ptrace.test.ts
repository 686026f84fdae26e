import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

const TRACER = readFileSync(new URL('./fixtures/ptrace.c', import.meta.url), 'utf8');
const ABORT = readFileSync(new URL('./fixtures/abort-backtrace.c', import.meta.url), 'utf8');

describe('runsc do: ptrace(2) between sandboxed processes', () => {
  // Generous timeouts: a loaded machine makes a sandbox slow to start, and gdb is a large program.
  it('a small tracer sees the same stops, registers and memory as on Linux', () => {
    const prog = compileC(TRACER, ['-static', '-no-pie']);
    const want = native([prog]);
    expect(want.status).toBe(0);
    const got = runsc(['do', prog], { timeout: 120_000 });
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
    // Anchors, so that an empty or truncated run of both cannot pass.
    expect(got.stdout).toContain('exec stop: stopped=1 sig=5\n');
    expect(got.stdout).toContain('peek after poke 55\n');
    expect(got.stdout).toContain('exit event status 300\n');
    expect(got.stdout).toContain('interrupt stop: sig=5 event=128\n');
    expect(got.stdout).toContain('single steps 3\n');
    expect(got.stdout).toContain('child: getpid said 4242\n');
    expect(got.stdout).toContain('saw syscalls: 1, writes 1, forks 1, signals 2, exit events 1\n');
  }, 180_000);

  it('strace -f follows a shell and its children', () => {
    const got = runsc(['do', 'strace', '-f', '-e', 'trace=execve,exit_group', 'sh', '-c', '/bin/true; /bin/echo traced'], { timeout: 120_000 });
    expect(got.status, got.stderr).toBe(0);
    expect(got.stdout).toBe('traced\n');
    expect(got.stderr).toMatch(/^execve\("(\/usr)?\/bin\/sh", \["sh", "-c", "\/bin\/true; \/bin\/echo traced"\]/);
    expect(got.stderr).toMatch(/\[pid +\d+\] execve\("\/bin\/true", \["\/bin\/true"\]/);
    expect(got.stderr).toMatch(/\[pid +\d+\] execve\("\/bin\/echo", \["\/bin\/echo", "traced"\]/);
    expect(got.stderr).toMatch(/\+\+\+ exited with 0 \+\+\+\n$/);
  }, 180_000);

  it('gdb runs a program to its abort and prints the backtrace', () => {
    const prog = compileC(ABORT, ['-g', '-O0']);
    const got = runsc(['do', 'gdb', '-nx', '-batch', '-ex', 'run', '-ex', 'bt', prog], { timeout: 120_000 });
    expect(got.stdout).toContain('Program received signal SIGABRT, Aborted.');
    expect(got.stdout).toMatch(/in inner \(x=2\) at .*prog\.c:3/);
    expect(got.stdout).toMatch(/in outer \(x=1\) at .*prog\.c:4/);
    expect(got.stdout).toMatch(/in main \(\) at .*prog\.c:5/);
  }, 180_000);
});
