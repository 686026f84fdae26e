import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every source file under `dir`, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('abi is portable', () => {
  it('imports no Node-only module and uses no Buffer (vfs and netstack cores build on it and run in browsers)', () => {
    const src = new URL('../src', import.meta.url).pathname;
    const offenders = sources(src).filter((f) => /from ['"]node:|\bBuffer\b|require\(/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
