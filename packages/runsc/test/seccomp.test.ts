import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

const SECCOMP = readFileSync(new URL('./fixtures/seccomp.c', import.meta.url), 'utf8');

describe('runsc do: seccomp filters for the application (differential against Linux)', () => {
  it('validates, runs and inherits filters as Linux does, every action included', () => {
    const prog = compileC(SECCOMP, ['-static', '-pthread']);
    const want = native([prog]);
    expect(want.status).toBe(0);
    const got = runsc(['do', prog]);
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
    // Anchors, so that an empty or truncated run of both cannot pass.
    expect(got.stdout).toContain('getpgid(42): -1 E2BIG\n');
    expect(got.stdout).toContain('SIGSYS: code 1 syscall 140 errno 77 arch 0xc000003e call_addr set rax==nr 1\n');
    expect(got.stdout).toContain('KILL_PROCESS: signaled 1 sig 31\n');
    expect(got.stdout).toContain('KILL_THREAD: exit 3\n');
    expect(got.stdout).toContain('strict: signaled 1 sig 9\n');
    expect(got.stdout).toContain('after execve the filter still applies: -1 ENOTNAM\n');
  });
});
