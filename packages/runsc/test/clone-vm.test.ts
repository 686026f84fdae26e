import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

const CLONE_VM = readFileSync(new URL('./fixtures/clone-vm.c', import.meta.url), 'utf8');

describe('runsc do: clone(CLONE_VM) without CLONE_THREAD shares memory between processes (differential against Linux)', () => {
  it('writes, mappings and private futexes are shared; posix_spawn and vfork see the child; one process outlives the other', () => {
    const prog = compileC(CLONE_VM, ['-static', '-pthread']);
    const want = native([prog]);
    expect(want.status).toBe(0);
    const got = runsc(['do', prog], { timeout: 120_000 });
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
    // Anchors, so that an empty or truncated run of both cannot pass.
    expect(got.stdout).toBe(
      [
        'own pid: 1, word=42, mapping: mapped by the child',
        'futex waiter exit=0',
        'posix_spawn of a missing file: No such file or directory',
        'posix_spawn of true: Success, exit=0',
        "vfork child's write seen: 7",
        'survivor runs after the other exited (its status 0)',
        "survivor runs after the other exec'd (its status 0)",
        '',
      ].join('\n'),
    );
  });
});
