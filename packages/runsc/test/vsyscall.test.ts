import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

const VSYSCALL = readFileSync(new URL('./fixtures/vsyscall.c', import.meta.url), 'utf8');
/** Native Linux is the oracle only where the host has the page (vsyscall=xonly or emulate, not none). */
const HOST_HAS_VSYSCALL = readFileSync('/proc/self/maps', 'utf8').includes('[vsyscall]');

describe('runsc do: the legacy vsyscall page (differential against Linux)', () => {
  it.skipIf(!HOST_HAS_VSYSCALL)('time, gettimeofday and getcpu called through the page work; bad pointers and non-entries get SIGSEGV', () => {
    const prog = compileC(VSYSCALL);
    const want = native([prog]);
    expect(want.status).toBe(0);
    const got = runsc(['do', prog], { timeout: 120_000 });
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
    // Anchors, so that an empty or truncated run of both cannot pass.
    expect(got.stdout).toContain('[vsyscall]\ntime: matches=1\ngettimeofday: rc=0 sane=1\ngetcpu: rc=0 cpu<99=1 node=0\n');
    expect(got.stdout).toContain('bad pointer: Segmentation fault\nnot an entry: Segmentation fault\n');
  });
});
