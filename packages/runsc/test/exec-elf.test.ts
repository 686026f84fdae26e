import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileC, HOST_SCRATCH, runsc } from './helpers.js';
import { spawnSync } from 'node:child_process';

const CASES = readFileSync(new URL('./fixtures/exec-elf-cases.c', import.meta.url), 'utf8');

/** Runs the case program with its scratch directory in DIR, natively or sandboxed. */
function runCases(prog: string, sandboxed: boolean): string {
  const dir = mkdtempSync(join(HOST_SCRATCH, 'tvisor-exec-elf-'));
  try {
    if (sandboxed) return runsc(['do', 'env', `DIR=${dir}`, prog]).stdout;
    return spawnSync(prog, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, DIR: dir } }).stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('runsc do: the ELF loader and execveat against Linux', () => {
  it('crafted ELFs (past-EOF text, anonymous-only and bss pages, bad PT_INTERP, foreign interpreter), #! chain limit and execveat rules end as on Linux', () => {
    const prog = compileC(CASES);
    const expected = runCases(prog, false);
    // The oracle itself: one line per case, and the outcomes Linux is known for.
    expect(expected.trim().split('\n')).toHaveLength(17);
    expect(expected).toContain('missing-text: killed by SEGV\n');
    expect(expected).toContain('interp-empty: execve EACCES\n');
    expect(expected).toContain('five-scripts: exit 42\nsix-scripts: execve ELOOP\n');
    expect(expected).toContain("clone-files: child exit 42, parent's close-on-exec fd open\n");
    expect(runCases(prog, true)).toBe(expected);
  }, 120_000);
});
