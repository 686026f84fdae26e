import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

const FILE_ADVICE = readFileSync(new URL('./fixtures/file-advice.c', import.meta.url), 'utf8');

describe('runsc do: fadvise64, readahead, sync_file_range, preadv2 and sendfile argument rules (differential against Linux)', () => {
  it('refuses the same fds and arguments with the same errnos as Linux', () => {
    const prog = compileC(FILE_ADVICE);
    const want = native([prog]);
    expect(want.status).toBe(0);
    const got = runsc(['do', prog]);
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
    // Anchors, so that an empty or truncated run of both cannot pass.
    expect(got.stdout).toContain('fadvise64: file ok, O_PATH EBADF');
    expect(got.stdout).toContain('sendfile: offset overflow EINVAL, negative count EINVAL, from a directory EINVAL');
    expect(got.stdout).toMatch(/\ndone\n$/);
  });
});
