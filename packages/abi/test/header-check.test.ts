import { describe, expect, it } from 'vitest';
import * as abi from '../src/index.js';
import { compileAndRun } from '../tools/cc.mjs';
import { cSource, classify, factsFor, parseOutput } from './header-check/c-source.js';
import type { Program } from './header-check/programs.js';
import { CODECS, GROUPS, SCALARS } from './header-check/registry.js';

const exports = abi as unknown as Readonly<Record<string, unknown>>;

describe('every export is covered by the header check', () => {
  it('each export is a known kind', () => {
    const unknown = Object.entries(exports)
      .filter(([n, v]) => classify(n, v) === undefined)
      .map(([n]) => n);
    expect(unknown).toEqual([]);
  });

  it('each constant group, number and codec has a registry entry', () => {
    const missing: string[] = [];
    for (const [name, value] of Object.entries(exports)) {
      const kind = classify(name, value);
      if (kind === 'group' && !(name in GROUPS)) missing.push(`group ${name}`);
      if (kind === 'scalar' && !(name in SCALARS)) missing.push(`number ${name}`);
      if ((kind === 'codec' || kind === 'record') && !(name in CODECS)) missing.push(`codec ${name}`);
    }
    expect(missing).toEqual([]);
  });

  it('the registry names only existing exports', () => {
    const stale = [...Object.keys(GROUPS), ...Object.keys(SCALARS), ...Object.keys(CODECS)].filter((n) => !(n in exports));
    expect(stale).toEqual([]);
  });

  it('unchecked members carry a reason and exist', () => {
    for (const [name, spec] of Object.entries(GROUPS)) {
      for (const [member, why] of Object.entries(spec.unchecked ?? {})) {
        expect(Object.keys(exports[name] as object)).toContain(member);
        expect(why.length).toBeGreaterThan(10);
      }
    }
  });
});

function check(program: Program): void {
  const facts = factsFor(program, exports);
  expect(facts.length).toBeGreaterThan(100);
  const actual = parseOutput(compileAndRun(cSource(program, facts), `abi-${program}`));
  const expected = Object.fromEntries(facts.map((f) => [f.key, f.expected]));
  expect(actual).toEqual(expected);
}

describe('TypeScript tables equal what gcc computes from the host headers', () => {
  it('glibc headers', () => check('libc'));
  it('kernel uapi headers', () => check('uapi'));
});
