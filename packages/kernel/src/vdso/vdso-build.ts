/**
 * How vdso.c becomes the bytes in vdso-image.ts: gcc with fixed flags, no
 * build id and no symbol table, so the same compiler reproduces them exactly.
 * The image test rebuilds it and compares (UPDATE_VDSO_IMAGE=1 rewrites
 * vdso-image.ts after a change to vdso.c or vdso.lds).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const VDSO_GCC_ARGS = [
  '-O2',
  '-fPIC',
  '-shared',
  '-nostdlib',
  '-ffreestanding',
  '-fno-stack-protector',
  '-fno-asynchronous-unwind-tables',
  '-fno-unwind-tables',
  '-fcf-protection=none',
  '-fno-builtin',
  '-Wall',
  '-Werror',
  '-Wl,--hash-style=both',
  '-Wl,-soname=linux-vdso.so.1',
  '-Wl,--build-id=none',
  '-Wl,--no-undefined',
  '-Wl,-z,max-page-size=4096',
  '-Wl,--strip-all',
];

/** Builds vdso.c in `dir` (the source folder) with gcc; returns the shared object's bytes. */
export function buildVdsoWithGcc(dir: string): Uint8Array {
  const out = mkdtempSync(join(tmpdir(), 'tvisor-vdso-'));
  try {
    const so = join(out, 'vdso.so');
    execFileSync('gcc', [...VDSO_GCC_ARGS, `-Wl,-T,${join(dir, 'vdso.lds')}`, '-o', so, join(dir, 'vdso.c')], { stdio: ['ignore', 'ignore', 'inherit'] });
    return new Uint8Array(readFileSync(so));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
