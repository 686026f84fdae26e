// Differential test of brk(2): a real process (test/native/brk-oracle.c)
// and a MemoryManager with the same break run the same random brk, MAP_FIXED
// mmap and munmap calls around the heap, and must return the same values and
// show the same /proc/self/maps lines ([heap] included).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAP } from '@tvisor/abi';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../src/layout.js';
import { MemoryFile } from '../src/memory-file.js';
import { MemoryManager } from '../src/memory-manager.js';
import { FakeAddressSpace } from './fake-address-space.js';

const P = PAGE_SIZE;
const REGION_PAGES = 64; // must match brk-oracle.c

type Cmd = { c: 'B'; pages: number; extra: number } | { c: 'M'; page: number; pages: number; prot: number } | { c: 'U'; page: number; pages: number };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ c: fc.constant('B' as const), pages: fc.integer({ min: 0, max: 24 }), extra: fc.integer({ min: 0, max: P - 1 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      c: fc.constant('M' as const),
      page: fc.integer({ min: 0, max: 40 }),
      pages: fc.integer({ min: 1, max: 4 }),
      prot: fc.integer({ min: 0, max: 7 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ c: fc.constant('U' as const), page: fc.integer({ min: 0, max: 40 }), pages: fc.integer({ min: 1, max: 6 }) }) },
);

function line(c: Cmd): string {
  if (c.c === 'B') return `B ${c.pages} ${c.extra}`;
  if (c.c === 'M') return `M ${c.page} ${c.pages} ${c.prot}`;
  return `U ${c.page} ${c.pages}`;
}

function runOurs(mf: MemoryFile, startBrk: number, brk: number, cmds: Cmd[]): string[] {
  const mm = new MemoryManager(mf, new FakeAddressSpace());
  mm.setBrkStart(startBrk);
  if (brk !== startBrk) mm.brk(brk);
  const out: string[] = [];
  for (const c of cmds) {
    try {
      if (c.c === 'B') {
        out.push(`R ${mm.brk(startBrk + c.pages * P + c.extra).toString(16)}`);
      } else if (c.c === 'M') {
        mm.mmap({ addr: startBrk + c.page * P, length: c.pages * P, prot: c.prot, flags: MAP.FIXED | MAP.PRIVATE | MAP.ANONYMOUS });
        out.push('R 0');
      } else {
        mm.munmap(startBrk + c.page * P, c.pages * P);
        out.push('R 0');
      }
    } catch (e) {
      const errno = (e as { errno?: number }).errno;
      if (errno === undefined) throw e;
      out.push(`E ${errno}`);
    }
  }
  out.push('MAPS');
  for (const l of mm.mapsText().split('\n')) {
    const [s, e] = l
      .split(' ')[0]
      .split('-')
      .map((x) => parseInt(x, 16));
    if (l !== '' && s >= startBrk && e <= startBrk + REGION_PAGES * P) out.push(l);
  }
  out.push('END');
  mm.release();
  return out;
}

describe('brk against Linux', () => {
  let dir = '';
  let oracle = '';
  const mf = MemoryFile.create('mm-brk-test');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mm-brk-'));
    oracle = join(dir, 'brk-oracle');
    execFileSync('gcc', ['-O1', '-o', oracle, join(import.meta.dirname, 'native', 'brk-oracle.c')]);
  });
  afterAll(() => {
    mf.close();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('moves the break, refuses collisions and names [heap] like Linux', () => {
    for (const seq of fc.sample(fc.array(cmdArb, { minLength: 1, maxLength: 25 }), { numRuns: 60, seed: 12 })) {
      const run = spawnSync(oracle, [], { input: [...seq.map(line), 'D'].join('\n') + '\n', encoding: 'utf8' });
      expect(run.status).toBe(0);
      const [first, ...theirs] = run.stdout.split('\n').filter((l) => l !== '');
      const [, startBrk, brk] = first.split(' ');
      const ours = runOurs(mf, parseInt(startBrk, 16), parseInt(brk, 16), seq);
      if (ours.join('\n') !== theirs.join('\n')) {
        const report = [first, ...seq.map(line), '--- ours', ...ours, '--- linux', ...theirs].join('\n');
        expect(report).toBe('');
      }
    }
  });
});
