import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

const MM_RULES = readFileSync(new URL('./fixtures/mm-rules.c', import.meta.url), 'utf8');

describe('runsc do: memory-management rules (differential against Linux)', () => {
  it('SIGBUS past a file end, truncation, mmap/mremap/madvise errors, memlock and data limits, memfd seals', () => {
    const prog = compileC(MM_RULES);
    const want = native([prog]);
    expect(want.status).toBe(0);
    const got = runsc(['do', prog]);
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
    // Anchors, so that an empty or truncated run of both cannot pass.
    expect(got.stdout).toContain('page past the end read SIGBUS write SIGBUS\n');
    expect(got.stdout).toContain('after truncate to 0: shared SIGBUS, private COW copy SIGBUS\n');
    expect(got.stdout).toContain('F_SEAL_WRITE|F_SEAL_GROW with a shared read-only mapping EBUSY, seals 0\n');
    expect(got.stdout).toContain('RLIMIT_MEMLOCK 0: mlock EPERM, MAP_LOCKED EPERM\n');
    expect(got.stdout).toMatch(/\ndone\n$/);
  });
});
