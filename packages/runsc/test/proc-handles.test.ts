import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

const PROC_HANDLES = readFileSync(new URL('./fixtures/proc-handles.c', import.meta.url), 'utf8');

describe('runsc do: process_vm_readv/writev, clone3 and pidfds (differential against Linux)', () => {
  it('prints what Linux prints, line for line', () => {
    const prog = compileC(PROC_HANDLES);
    const want = native([prog]);
    expect(want.status).toBe(0);
    const got = runsc(['do', prog]);
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
    // Anchors, so that an empty or truncated run of both cannot pass.
    expect(got.stdout).toContain('writev partial: 4\n');
    expect(got.stdout).toContain('child sees: written by parent\n');
    expect(got.stdout).toContain('spinning child exit 42\n');
    expect(got.stdout).toContain('pidfd in read-only memory: -1 EFAULT\n');
    expect(got.stdout).toContain('si_pid matches 1, si_code 1, si_status 7\n');
    expect(got.stdout).toContain('waitid reaped: -1 ECHILD\n');
  });
});
