// Differential test of mmap placement: a real process without address
// randomization (test/native/placement-oracle.c) and a MemoryManager holding
// the same initial mappings run the same random non-fixed mmap (with and
// without hints) and munmap calls, and must return the same addresses.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAP, PROT } from '@tvisor/abi';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_SIZE, STUB_RESERVED_START, TASK_SIZE } from '../src/layout.js';
import { MemoryFile } from '../src/memory-file.js';
import { MemoryManager } from '../src/memory-manager.js';
import { FakeAddressSpace } from './fake-address-space.js';

const P = PAGE_SIZE;

type Cmd = { c: 'A'; pages: number; prot: number; hintK: number; hintDelta: number } | { c: 'U'; k: number; offset: number; pages: number };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      c: fc.constant('A' as const),
      // Below 2 MiB: larger anonymous mappings may get THP alignment on Linux.
      pages: fc.integer({ min: 1, max: 64 }),
      prot: fc.integer({ min: 0, max: 7 }),
      hintK: fc.oneof({ weight: 3, arbitrary: fc.constant(-1) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 20 }) }),
      hintDelta: fc.integer({ min: -16, max: 16 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      c: fc.constant('U' as const),
      k: fc.integer({ min: 0, max: 20 }),
      offset: fc.integer({ min: 0, max: 4 }),
      pages: fc.integer({ min: 1, max: 8 }),
    }),
  },
);

function line(c: Cmd): string {
  return c.c === 'A' ? `A ${c.pages} ${c.prot} ${c.hintK} ${c.hintDelta}` : `U ${c.k} ${c.offset} ${c.pages}`;
}

interface InitialMapping {
  start: number;
  end: number;
  prot: number;
}

function parseMaps(lines: string[]): InitialMapping[] {
  return lines.map((l) => {
    const [range, perms] = l.split(' ');
    const [s, e] = range.split('-').map((x) => parseInt(x, 16));
    const prot = (perms[0] === 'r' ? PROT.READ : 0) | (perms[1] === 'w' ? PROT.WRITE : 0) | (perms[2] === 'x' ? PROT.EXEC : 0);
    return { start: s, end: e, prot };
  });
}

function runOurs(mf: MemoryFile, initial: InitialMapping[], cmds: Cmd[]): string[] {
  // No randomization: the stack sits at TASK_SIZE, so mmap_base is TASK_SIZE - 128 MiB.
  const mm = new MemoryManager(mf, new FakeAddressSpace(), { stackTop: TASK_SIZE });
  for (const m of initial) {
    if (m.end > STUB_RESERVED_START) continue; // the stack and vsyscall: above anything we place
    mm.mmap({ addr: m.start, length: m.end - m.start, prot: m.prot, flags: MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED });
  }
  const results: number[] = [];
  const sizes: number[] = [];
  const out: string[] = [];
  for (const c of cmds) {
    try {
      if (c.c === 'A') {
        const base = c.hintK >= 0 && c.hintK < results.length ? results[c.hintK] : 0;
        const hint = base !== 0 ? base + c.hintDelta * P : 0;
        const r = mm.mmap({ addr: hint, length: c.pages * P, prot: c.prot, flags: MAP.PRIVATE | MAP.ANONYMOUS });
        results.push(r);
        sizes.push(c.pages);
        out.push(`R ${r.toString(16)}`);
      } else {
        const base = c.k < results.length ? results[c.k] : 0;
        if (base !== 0 && c.offset < sizes[c.k]) {
          mm.munmap(base + c.offset * P, Math.min(c.pages, sizes[c.k] - c.offset) * P);
        }
        out.push('R 0');
      }
    } catch (e) {
      const errno = (e as { errno?: number }).errno;
      if (errno === undefined) throw e;
      if (c.c === 'A') {
        results.push(0);
        sizes.push(0);
      }
      out.push(`E ${errno}`);
    }
  }
  mm.release();
  return out;
}

describe('mmap placement against Linux', () => {
  let dir = '';
  let oracle = '';
  const mf = MemoryFile.create('mm-placement-test');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mm-placement-'));
    oracle = join(dir, 'placement-oracle');
    execFileSync('gcc', ['-O1', '-o', oracle, join(import.meta.dirname, 'native', 'placement-oracle.c')]);
  });
  afterAll(() => {
    mf.close();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('places non-fixed mappings where Linux does (top-down, hints, reuse of holes)', () => {
    const sequences = fc.sample(fc.array(cmdArb, { minLength: 1, maxLength: 30 }), { numRuns: 60, seed: 1126 });
    for (const seq of sequences) {
      const run = spawnSync(oracle, [], { input: seq.map(line).join('\n') + '\n', encoding: 'utf8' });
      expect(run.status).toBe(0);
      const lines = run.stdout.split('\n').filter((l) => l !== '');
      const end = lines.indexOf('END');
      const initial = parseMaps(lines.slice(1, end));
      const theirs = lines.slice(end + 1);
      const ours = runOurs(mf, initial, seq);
      if (ours.join('\n') !== theirs.join('\n')) {
        const report = [...seq.map(line), '--- ours', ...ours, '--- linux', ...theirs].join('\n');
        expect(report).toBe('');
      }
    }
  });
});
