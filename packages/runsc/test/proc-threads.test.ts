import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

const PROC_THREADS = readFileSync(new URL('./fixtures/proc-threads.c', import.meta.url), 'utf8');

describe('runsc do: /proc/PID/mem, thread-self, task dirs, fdinfo and per-thread scheduling (differential against Linux)', () => {
  it('prints what Linux prints, line for line', () => {
    const prog = compileC(PROC_THREADS, ['-static', '-pthread']);
    const want = native([prog]);
    expect(want.status).toBe(0);
    const got = runsc(['do', prog], { timeout: 60_000 });
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
    // Anchors, so that an empty or truncated run of both cannot pass.
    expect(got.stdout).toContain('mem pwrite: 12 hello-world\n');
    expect(got.stdout).toContain('mem read of an unmapped page: -1 Input/output error\n');
    expect(got.stdout).toContain('/proc inode: 1\n');
    expect(got.stdout).toContain('thread-self/task: No such file or directory\n');
    expect(got.stdout).toContain('worker comm: worker-thread\n');
    expect(got.stdout).toContain('main nice after the worker changed its own: 3\n');
    expect(got.stdout).toContain('sched_setattr size 12: -1 Argument list too long, size now 56\n');
  });
});
