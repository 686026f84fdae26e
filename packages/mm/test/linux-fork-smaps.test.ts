// Differential test of copy-on-write accounting: pages written before fork,
// then by the child, then by the parent, in a real process pair
// (test/native/fork-smaps-oracle.c) and in MemoryManager.fork must give the
// same Rss, Pss, shared/private split and Anonymous in both processes.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAP, PROT } from '@tvisor/abi';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../src/layout.js';
import { MemoryFile } from '../src/memory-file.js';
import { MemoryManager } from '../src/memory-manager.js';
import { FakeAddressSpace } from './fake-address-space.js';

const P = PAGE_SIZE;
const BASE = 0x220000000000; // must match fork-smaps-oracle.c
const FIELDS = ['Rss', 'Pss', 'Shared_Dirty', 'Private_Dirty', 'Anonymous'];

/** "who" markers and the compared fields, in order. */
function digest(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line === 'CHILD' || line === 'PARENT') out.push(line);
    const m = /^([A-Za-z_]+):\s*(.*?)\s*$/.exec(line);
    if (m !== null && FIELDS.includes(m[1])) out.push(`${m[1]}: ${m[2]}`);
  }
  return out;
}

function runOurs(mf: MemoryFile, pages: number, before: number[], child: number[], parent: number[]): string[] {
  const p = new MemoryManager(mf, new FakeAddressSpace());
  p.mmap({ addr: BASE, length: pages * P, prot: PROT.READ | PROT.WRITE, flags: MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED });
  const touch = (mm: MemoryManager, list: number[]) => {
    for (const i of list) mm.copyOut(BASE + i * P + 3, new Uint8Array([1]));
  };
  touch(p, before);
  const c = p.fork(new FakeAddressSpace());
  touch(c, child);
  const childText = c.smapsText();
  touch(p, parent);
  const parentText = p.smapsText();
  c.release();
  p.release();
  return digest(`CHILD\n${childText}PARENT\n${parentText}`);
}

describe('copy-on-write accounting against Linux', () => {
  let dir = '';
  let oracle = '';
  const mf = MemoryFile.create('mm-fork-smaps-test');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mm-fork-smaps-'));
    oracle = join(dir, 'fork-smaps-oracle');
    execFileSync('gcc', ['-O1', '-o', oracle, join(import.meta.dirname, 'native', 'fork-smaps-oracle.c')]);
  });
  afterAll(() => {
    mf.close();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('reports the same Rss, Pss and sharing in parent and child', () => {
    const scenario = fc.integer({ min: 1, max: 12 }).chain((pages) => {
      const list = fc.uniqueArray(fc.integer({ min: 0, max: pages - 1 }), { maxLength: pages });
      return fc.tuple(fc.constant(pages), list, list, list);
    });
    for (const [pages, before, child, parent] of fc.sample(scenario, { numRuns: 25, seed: 3 })) {
      const arg = (l: number[]) => (l.length === 0 ? '-' : l.join(','));
      const run = spawnSync(oracle, [String(pages), arg(before), arg(child), arg(parent)], { encoding: 'utf8' });
      expect(run.status).toBe(0);
      expect({ pages, before, child, parent, smaps: runOurs(mf, pages, before, child, parent) }).toEqual({
        pages,
        before,
        child,
        parent,
        smaps: digest(run.stdout),
      });
    }
  });
});
