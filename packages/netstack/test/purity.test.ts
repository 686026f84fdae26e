// The core must stay pure TypeScript: no node:* modules, no koffi, no kernel,
// and no real timers outside RealClock. Only src/native/ and src/tap.ts may
// reach the host, and the Node-only node:net facade (src/net.ts, src/node-net/)
// may use node:* modules.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('core purity', () => {
  const core = files(root).filter((f) => {
    const r = relative(root, f);
    return !r.startsWith('native/') && r !== 'tap.ts' && !r.startsWith('node-net/') && r !== 'net.ts';
  });

  it('imports nothing from node:*, koffi or the kernel', () => {
    expect(core.length).toBeGreaterThan(30);
    for (const f of core) {
      const imports = [...readFileSync(f, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]);
      for (const spec of imports) {
        expect(spec.startsWith('node:') || spec === 'koffi' || spec.startsWith('@tvisor/kernel'), `${relative(root, f)} imports ${spec}`).toBe(false);
      }
    }
  });

  it('uses real timers only in RealClock', () => {
    for (const f of core) {
      if (relative(root, f) === join('time', 'real-clock.ts')) continue;
      const code = readFileSync(f, 'utf8').replace(/\/\/.*$/gm, '');
      expect(/\b(setTimeout|setInterval|setImmediate)\s*\(/.test(code), relative(root, f)).toBe(false);
    }
  });
});
