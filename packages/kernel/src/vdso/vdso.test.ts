import { afterAll, describe, expect, it } from 'vitest';
import { CLOCK, Errno, MAP, MREMAP, PROT } from '@tvisor/abi';
import { MemoryFile, MemoryManager, PAGE_SIZE, STUB_RESERVED_START } from '@tvisor/mm';
import { FakeAddressSpace } from '@tvisor/platform/testing';
import { REALTIME_OFFSET, clockNow, tscClock } from '../clock.js';
import { hostHasInvariantTsc } from '../tsc-clock.js';
import { STACK_TOP } from '../exec.js';
import { Vdso } from './vdso.js';
import { VDSO_IMAGE } from './vdso-image.js';

const mf = MemoryFile.create('vdso-test');
const vdso = new Vdso(mf);
afterAll(() => {
  vdso.release();
  mf.close();
});

function errnoOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    return (e as { errno?: number }).errno;
  }
  return undefined;
}

/** The vvar page as an address space sees it: seq, enabled, tsc_base, mono_base, real_base, mult, shift. */
function readVvar(mm: MemoryManager, at: number) {
  const v = new DataView(mm.copyIn(at, 40).buffer);
  return {
    seq: v.getUint32(0, true),
    enabled: v.getUint32(4, true),
    tscBase: v.getBigUint64(8, true),
    monoBase: v.getBigUint64(16, true),
    realBase: v.getBigUint64(24, true),
    mult: BigInt(v.getUint32(32, true)),
    shift: BigInt(v.getUint32(36, true)),
  };
}

describe('Vdso', () => {
  it('maps [vvar] read-only and [vdso] read+exec above the stack, named as Linux names them', () => {
    const mm = new MemoryManager(mf, new FakeAddressSpace(), { stackTop: STACK_TOP });
    const at = vdso.map(mm, STACK_TOP);
    expect(at).toBeGreaterThan(STACK_TOP);
    expect(at + PAGE_SIZE).toBeLessThanOrEqual(STUB_RESERVED_START);
    expect(mm.copyIn(at, VDSO_IMAGE.length)).toEqual(VDSO_IMAGE);
    const maps = mm.mapsText();
    const hex = (n: number) => n.toString(16).padStart(8, '0');
    expect(maps).toContain(`${hex(at - PAGE_SIZE)}-${hex(at)} r--p 00000000 00:00 0 `);
    expect(maps).toMatch(new RegExp(`${hex(at)}-${hex(at + PAGE_SIZE)} r-xp 00000000 00:00 0 +\\[vdso\\]\\n`));
    expect(maps).toMatch(/ \[vvar\]\n/);
    mm.release();
  });

  it('refuses to make [vvar] writable (EACCES) but lets the vDSO get a private writable copy', () => {
    const mm = new MemoryManager(mf, new FakeAddressSpace(), { stackTop: STACK_TOP });
    const at = vdso.map(mm, STACK_TOP);
    expect(errnoOf(() => mm.mprotect(at - PAGE_SIZE, PAGE_SIZE, PROT.READ | PROT.WRITE))).toBe(Errno.EACCES);
    mm.mprotect(at, PAGE_SIZE, PROT.READ | PROT.WRITE);
    mm.copyOut(at, new Uint8Array([0xcc]));
    expect(mm.copyIn(at, 1)[0]).toBe(0xcc);
    // Another address space still sees the image as built.
    const other = new MemoryManager(mf, new FakeAddressSpace(), { stackTop: STACK_TOP });
    const otherAt = vdso.map(other, STACK_TOP);
    expect(other.copyIn(otherAt, 4)).toEqual(VDSO_IMAGE.subarray(0, 4));
    // mremap may not grow either (VM_DONTEXPAND).
    expect(errnoOf(() => mm.mremap(at, PAGE_SIZE, 2 * PAGE_SIZE, MREMAP.MAYMOVE))).toBe(Errno.EFAULT);
    mm.release();
    other.release();
  });

  it.runIf(tscClock !== undefined)('publishes the clock parameters, and every address space (forked too) sees each update', () => {
    const clock = tscClock!;
    const mm = new MemoryManager(mf, new FakeAddressSpace(), { stackTop: STACK_TOP });
    const at = vdso.map(mm, STACK_TOP);
    const child = mm.fork(new FakeAddressSpace());
    const before = readVvar(mm, at - PAGE_SIZE);
    expect(before.enabled).toBe(1);
    expect(before.seq % 2).toBe(0);
    clock.recalibrate();
    const p = clock.current();
    for (const seen of [readVvar(mm, at - PAGE_SIZE), readVvar(child, at - PAGE_SIZE)]) {
      expect(seen).toEqual({
        seq: before.seq + 2,
        enabled: 1,
        tscBase: p.tscBase,
        monoBase: p.monoBase,
        realBase: p.monoBase + REALTIME_OFFSET,
        mult: p.mult,
        shift: p.shift,
      });
    }
    mm.release();
    child.release();
  });
});

it('uses the TSC only when /proc/cpuinfo shows it invariant (constant_tsc and nonstop_tsc)', () => {
  expect(hostHasInvariantTsc('processor\t: 0\nflags\t\t: fpu tsc constant_tsc rep_good nonstop_tsc cpuid\n')).toBe(true);
  expect(hostHasInvariantTsc('processor\t: 0\nflags\t\t: fpu tsc constant_tsc rep_good cpuid\n')).toBe(false);
  expect(hostHasInvariantTsc('processor\t: 0\nflags\t\t: fpu tsc nonstop_tsc_x\n')).toBe(false);
});

describe.runIf(tscClock !== undefined)('the TSC clock', () => {
  it('never goes backwards across recalibrations, and clockNow reads it', () => {
    const clock = tscClock!;
    let last = clockNow(CLOCK.MONOTONIC);
    for (let i = 0; i < 200; i++) {
      if (i % 10 === 0) clock.recalibrate();
      const now = clock.monotonic();
      expect(now).toBeGreaterThanOrEqual(last);
      last = clockNow(CLOCK.MONOTONIC);
      expect(last).toBeGreaterThanOrEqual(now);
    }
  });

  it('is continuous at a recalibration: the new parameters start where the old ones were', () => {
    const clock = tscClock!;
    const old = clock.current();
    clock.recalibrate();
    const p = clock.current();
    const delta = p.tscBase - old.tscBase;
    expect(p.monoBase).toBe(old.monoBase + ((delta * old.mult) >> old.shift));
    expect(p.mult).toBeLessThan(1n << 32n);
  });
});

it('maps nothing that overlaps the stack', () => {
  const mm = new MemoryManager(mf, new FakeAddressSpace(), { stackTop: STACK_TOP });
  mm.mmap({ addr: STACK_TOP - PAGE_SIZE, length: PAGE_SIZE, prot: PROT.READ, flags: MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED });
  vdso.map(mm, STACK_TOP);
  expect(mm.vmaList().filter((v) => v.start >= STACK_TOP - PAGE_SIZE)).toHaveLength(3);
  mm.release();
});
