// Differential test of /proc/PID/smaps accounting: the same regions, writes
// and MADV_DONTNEED calls in a real process (test/native/smaps-oracle.c) and
// in MemoryManager must report the same sizes, Rss, Pss, Anonymous and
// VmFlags per region.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MADV, MAP, PROT } from '@tvisor/abi';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../src/layout.js';
import { MemoryFile } from '../src/memory-file.js';
import { MemoryManager } from '../src/memory-manager.js';
import { FakeAddressSpace } from './fake-address-space.js';

const P = PAGE_SIZE;
const BASE = 0x210000000000; // must match smaps-oracle.c

interface Region {
  shared: boolean;
  pages: number;
}

type Op = { c: 'W'; region: number; page: number } | { c: 'F'; region: number; page: number; pages: number };

const FIELDS = ['Size', 'Rss', 'Pss', 'Pss_Dirty', 'Shared_Dirty', 'Private_Dirty', 'Anonymous', 'Locked', 'VmFlags'];

/** The compared part of an smaps text: each entry's range, perms and the FIELDS. */
function digest(smaps: string): string[] {
  const out: string[] = [];
  for (const line of smaps.split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) out.push(line.split(/\s+/).slice(0, 2).join(' '));
    const m = /^([A-Za-z_]+):\s*(.*?)\s*$/.exec(line);
    if (m !== null && FIELDS.includes(m[1])) out.push(`${m[1]}: ${m[2]}`);
  }
  return out;
}

function runOurs(mf: MemoryFile, regions: Region[], ops: Op[]): string[] {
  const mm = new MemoryManager(mf, new FakeAddressSpace());
  const starts: number[] = [];
  let offset = 0;
  for (const r of regions) {
    starts.push(
      mm.mmap({
        addr: BASE + offset,
        length: r.pages * P,
        prot: PROT.READ | PROT.WRITE,
        flags: (r.shared ? MAP.SHARED : MAP.PRIVATE) | MAP.ANONYMOUS | MAP.FIXED,
      }),
    );
    offset += (r.pages + 1) * P;
  }
  for (const o of ops) {
    if (o.c === 'W') mm.copyOut(starts[o.region] + o.page * P + 7, new Uint8Array([1]));
    else mm.madvise(starts[o.region] + o.page * P, o.pages * P, MADV.DONTNEED);
  }
  const text = mm.smapsText();
  mm.release();
  return digest(text);
}

describe('smaps against Linux', () => {
  let dir = '';
  let oracle = '';
  const mf = MemoryFile.create('mm-smaps-test');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mm-smaps-'));
    oracle = join(dir, 'smaps-oracle');
    execFileSync('gcc', ['-O1', '-o', oracle, join(import.meta.dirname, 'native', 'smaps-oracle.c')]);
  });
  afterAll(() => {
    mf.close();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('accounts resident, proportional and anonymous memory like Linux', () => {
    const scenario = fc.array(fc.record({ shared: fc.boolean(), pages: fc.integer({ min: 1, max: 8 }) }), { minLength: 1, maxLength: 5 }).chain((regions) => {
      const region = fc.integer({ min: 0, max: regions.length - 1 });
      const op: fc.Arbitrary<Op> = region.chain((r) =>
        fc.oneof(
          fc.record({ c: fc.constant('W' as const), region: fc.constant(r), page: fc.integer({ min: 0, max: regions[r].pages - 1 }) }),
          fc.record({
            c: fc.constant('F' as const),
            region: fc.constant(r),
            page: fc.integer({ min: 0, max: regions[r].pages - 1 }),
            pages: fc.integer({ min: 1, max: 3 }),
          }),
        ),
      );
      // MADV_DONTNEED on shared memory drops Linux's page-table entries but
      // keeps the pages; mm keeps both, so Rss would differ: private only.
      const ops = fc
        .array(op, { maxLength: 20 })
        .map((list) =>
          list
            .filter((o) => o.c === 'W' || !regions[o.region].shared)
            .map((o) => (o.c === 'F' ? { ...o, pages: Math.min(o.pages, regions[o.region].pages - o.page) } : o)),
        );
      return fc.tuple(fc.constant(regions), ops);
    });
    for (const [regions, ops] of fc.sample(scenario, { numRuns: 40, seed: 7 })) {
      const input = ops.map((o) => (o.c === 'W' ? `W ${o.region} ${o.page}` : `F ${o.region} ${o.page} ${o.pages}`)).join('\n');
      const run = spawnSync(
        oracle,
        regions.map((r) => `${r.shared ? 1 : 0}:${r.pages}`),
        { input: `${input}\n`, encoding: 'utf8' },
      );
      expect(run.status).toBe(0);
      expect({ regions, ops, smaps: runOurs(mf, regions, ops) }).toEqual({ regions, ops, smaps: digest(run.stdout) });
    }
  });
});
