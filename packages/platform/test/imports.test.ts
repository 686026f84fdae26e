import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every module specifier a source file imports or re-exports. */
function specifiers(source: string): string[] {
  return [...source.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]);
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('@tvisor/platform stays interface-only', () => {
  const files = sources(join(import.meta.dirname, '..', 'src'));

  it('finds its sources', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
  });

  it('imports nothing but @tvisor/abi and its own modules (no kernel, no koffi, no node:)', () => {
    for (const f of files) {
      for (const spec of specifiers(readFileSync(f, 'utf8'))) {
        expect(spec.startsWith('./') || spec.startsWith('../') || spec === '@tvisor/abi', `${f} imports ${spec}`).toBe(true);
      }
    }
  });

  it('the check sees a forbidden import', () => {
    expect(specifiers("import { Kernel } from '@tvisor/kernel';\nexport * from './x.js';")).toEqual(['@tvisor/kernel', './x.js']);
  });
});
