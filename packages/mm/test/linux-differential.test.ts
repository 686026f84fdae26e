// Differential test with Linux as the oracle: the same random sequences of
// MAP_FIXED mmap / munmap / mprotect / mremap run in a real process (a small
// C program) and in MemoryManager must give the same results, errnos and
// /proc/self/maps ranges, permissions and offsets.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MADV, MAP, MREMAP, PROT } from '@tvisor/abi';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../src/layout.js';
import type { MappableFile } from '../src/mappable-file.js';
import { MemoryFile } from '../src/memory-file.js';
import { MemoryManager } from '../src/memory-manager.js';
import { FakeAddressSpace } from './fake-address-space.js';

const P = PAGE_SIZE;
const BASE = 0x200000000000; // must match maps-oracle.c
const N = 64;
const FILE_SIZE = 10 * P + P / 2;

type Cmd =
  | { c: 'M'; a: number; n: number; prot: number; kind: number; fpage: number; noReplace: number }
  | { c: 'U'; a: number; n: number }
  | { c: 'P'; a: number; n: number; prot: number }
  | { c: 'X'; a: number; oldN: number; newN: number; move: number; dest: number }
  | { c: 'V'; a: number; n: number; advice: number };

/** Advice that never touches pages (touching would change Linux's merging through anon_vma). */
const ADVICE = [
  MADV.NORMAL,
  MADV.RANDOM,
  MADV.SEQUENTIAL,
  MADV.WILLNEED,
  MADV.DONTNEED,
  MADV.FREE,
  MADV.DONTFORK,
  MADV.DOFORK,
  MADV.DONTDUMP,
  MADV.DODUMP,
  MADV.HUGEPAGE,
  MADV.NOHUGEPAGE,
  MADV.WIPEONFORK,
  MADV.KEEPONFORK,
  MADV.COLD,
];

const page = fc.integer({ min: 0, max: N - 9 });
const count = fc.integer({ min: 1, max: 8 });
const prot = fc.integer({ min: 0, max: 7 });
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({
    c: fc.constant('M' as const),
    a: page,
    n: count,
    prot,
    kind: fc.integer({ min: 0, max: 4 }),
    fpage: fc.integer({ min: 0, max: 8 }),
    noReplace: fc.integer({ min: 0, max: 1 }),
  }),
  fc.record({ c: fc.constant('U' as const), a: page, n: count }),
  fc.record({
    c: fc.constant('P' as const),
    a: page,
    n: count,
    prot: fc.oneof({ weight: 4, arbitrary: prot }, { weight: 1, arbitrary: prot.map((p) => p | PROT.GROWSDOWN) }),
  }),
  fc.record({ c: fc.constant('V' as const), a: page, n: count, advice: fc.constantFrom(...ADVICE) }),
  fc.record({
    c: fc.constant('X' as const),
    a: page,
    oldN: fc.integer({ min: 1, max: 6 }),
    newN: count,
    move: fc.integer({ min: 0, max: 1 }),
    dest: page,
  }),
);

function cmdLine(c: Cmd): string {
  switch (c.c) {
    case 'M':
      return `M ${c.a} ${c.n} ${c.prot} ${c.kind} ${c.fpage} ${c.noReplace}`;
    case 'U':
      return `U ${c.a} ${c.n}`;
    case 'P':
      return `P ${c.a} ${c.n} ${c.prot}`;
    case 'X':
      return `X ${c.a} ${c.oldN} ${c.newN} ${c.move} ${c.dest}`;
    case 'V':
      return `V ${c.a} ${c.n} ${c.advice}`;
  }
}

class PatternFile implements MappableFile {
  readonly mapsName = '/oracle/file';
  readonly dev = 0;
  readonly ino = 1;
  size(): number {
    return FILE_SIZE;
  }
  readAt(offset: number, dst: Uint8Array): number {
    const n = Math.max(0, Math.min(dst.length, FILE_SIZE - offset));
    dst.fill(7, 0, n);
    return n;
  }
}

/** Runs one sequence on MemoryManager and prints what the oracle prints. */
function runOurs(mf: MemoryFile, cmds: Cmd[]): string[] {
  const mm = new MemoryManager(mf, new FakeAddressSpace());
  const file = new PatternFile();
  const out: string[] = [];
  const attempt = (f: () => number) => {
    try {
      out.push(`E 0 ${f()}`);
    } catch (e) {
      const errno = (e as { errno?: number }).errno;
      if (errno === undefined) throw e;
      out.push(`E ${errno} -1`);
    }
  };
  for (const c of cmds) {
    switch (c.c) {
      case 'M': {
        const flags =
          (c.kind === 2 ? MAP.SHARED : MAP.PRIVATE) |
          (c.kind === 3 ? 0 : MAP.ANONYMOUS) |
          (c.kind === 1 ? MAP.NORESERVE : 0) |
          (c.kind === 4 ? MAP.GROWSDOWN : 0) |
          (c.noReplace ? MAP.FIXED_NOREPLACE : MAP.FIXED);
        attempt(() => (mm.mmap({ addr: BASE + c.a * P, length: c.n * P, prot: c.prot, flags, file, offset: c.kind === 3 ? c.fpage * P : 0 }) - BASE) / P);
        break;
      }
      case 'U':
        attempt(() => (mm.munmap(BASE + c.a * P, c.n * P), 0));
        break;
      case 'P':
        attempt(() => (mm.mprotect(BASE + c.a * P, c.n * P, c.prot), 0));
        break;
      case 'V':
        attempt(() => (mm.madvise(BASE + c.a * P, c.n * P, c.advice), 0));
        break;
      case 'X':
        attempt(
          () => (mm.mremap(BASE + c.a * P, c.oldN * P, c.newN * P, c.move ? MREMAP.MAYMOVE | MREMAP.FIXED : 0, c.move ? BASE + c.dest * P : 0) - BASE) / P,
        );
        break;
    }
  }
  out.push('MAPS');
  for (const line of mm.mapsText().split('\n')) if (line !== '') out.push(mapsKey(line));
  out.push('END');
  mm.release();
  return out;
}

/** "start-end perms offset": the part of a maps line both sides must agree on. */
function mapsKey(line: string): string {
  return line.split(/\s+/).slice(0, 3).join(' ');
}

describe('MemoryManager against Linux /proc/self/maps', () => {
  let dir = '';
  let oracle = '';
  let dataFile = '';
  const mf = MemoryFile.create('mm-differential-test');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mm-oracle-'));
    oracle = join(dir, 'maps-oracle');
    execFileSync('gcc', ['-O1', '-o', oracle, join(import.meta.dirname, 'native', 'maps-oracle.c')]);
    dataFile = join(dir, 'data');
    writeFileSync(dataFile, new Uint8Array(FILE_SIZE).fill(7));
  });
  afterAll(() => {
    mf.close();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('gives the same results and maps as Linux for random MAP_FIXED sequences', () => {
    const sequences = fc.sample(fc.array(cmdArb, { minLength: 1, maxLength: 25 }), { numRuns: 300, seed: 20261126 });
    // One oracle process runs every sequence (R resets the region between them).
    const input = sequences.map((s) => ['R', ...s.map(cmdLine), 'D'].join('\n')).join('\n') + '\n';
    const run = spawnSync(oracle, [dataFile], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(run.status).toBe(0);
    const linuxLines = run.stdout.split('\n').filter((l) => l !== '');
    let pos = 0;
    for (const seq of sequences) {
      const ours = runOurs(mf, seq);
      const end = linuxLines.indexOf('END', pos);
      const theirs = linuxLines.slice(pos, end + 1).map((l) => (l.startsWith('E ') || l === 'MAPS' || l === 'END' ? l : mapsKey(l)));
      pos = end + 1;
      if (ours.join('\n') !== theirs.join('\n')) {
        // Show the whole case: the commands, then what each side printed.
        const report = [...seq.map(cmdLine), '--- ours', ...ours, '--- linux', ...theirs].join('\n');
        expect(report).toBe('');
      }
    }
  });
});
