// The kernel's module structure, checked: the core never imports a syscall
// handler (only the linux64 assembly module does), and the largest import
// cycle stays the Task/Kernel/signal core.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = import.meta.dirname;
const root = join(src, '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

describe('kernel module structure', () => {
  it('only linux64.ts imports from syscalls/', () => {
    const offenders = sources(src)
      .filter((f) => !relative(src, f).startsWith('syscalls/') && !relative(src, f).startsWith('testing/') && relative(src, f) !== 'linux64.ts')
      .filter((f) => /from '(\.\.?\/)+syscalls\//.test(readFileSync(f, 'utf8')))
      .map((f) => relative(src, f));
    expect(offenders).toEqual([]);
  });

  it('the largest import cycle in src/ has at most 12 files (npm run cycles)', () => {
    const out = execFileSync(process.execPath, [join(root, 'scripts', 'cycles.mjs'), 'packages/kernel'], { cwd: root, encoding: 'utf8' });
    const m = /largest import cycle (\d+) files/.exec(out);
    expect(m, out).not.toBeNull();
    expect(Number(m![1]), out).toBeLessThanOrEqual(12);
    expect(out).toContain('kernel.ts');
  });
});
