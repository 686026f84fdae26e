import { afterAll, describe, expect, it } from 'vitest';
import { MEMORY_FILE_WINDOW, MemoryFile } from '../src/memory-file.js';
import { PAGE_SIZE } from '../src/layout.js';

const mf = MemoryFile.create('mm-memory-file-test');
afterAll(() => mf.close());

describe('MemoryFile', () => {
  it('hands out zeroed, page-aligned ranges and frees them with hole punching at refcount 0', () => {
    const off = mf.allocate(3 * PAGE_SIZE - 100);
    expect(off % PAGE_SIZE).toBe(0);
    expect(mf.refCount(off)).toBe(1);
    const view = mf.bytes(off, 3 * PAGE_SIZE);
    expect(mf.committedBytes(off, 3 * PAGE_SIZE)).toBe(0);
    view[PAGE_SIZE + 5] = 42;
    expect(mf.committedRanges(off, 3 * PAGE_SIZE)).toEqual([{ start: off + PAGE_SIZE, end: off + 2 * PAGE_SIZE }]);
    expect(view.filter((b) => b !== 0)).toEqual(new Uint8Array([42]));

    mf.incRef(off + PAGE_SIZE, PAGE_SIZE);
    expect(mf.maxRefCount(off, 3 * PAGE_SIZE)).toBe(2);
    mf.decRef(off, 3 * PAGE_SIZE);
    // The middle page is still referenced: data intact, others freed.
    expect(mf.refCount(off)).toBe(0);
    expect(mf.refCount(off + PAGE_SIZE)).toBe(1);
    expect(mf.bytes(off + PAGE_SIZE + 5, 1)[0]).toBe(42);
    mf.decRef(off + PAGE_SIZE, PAGE_SIZE);
    expect(mf.committedBytes(off, 3 * PAGE_SIZE)).toBe(0);
    expect(mf.bytes(off + PAGE_SIZE + 5, 1)[0]).toBe(0);

    // Freed space is reused, and reads as zeros.
    const again = mf.allocate(3 * PAGE_SIZE);
    expect(again).toBe(off);
    expect(mf.bytes(again, 3 * PAGE_SIZE).every((b) => b === 0)).toBe(true);
    mf.decRef(again, 3 * PAGE_SIZE);
    expect(mf.allocatedBytes()).toBe(0);
  });

  it('views a range without copying: writes through one view show in another', () => {
    const off = mf.allocate(PAGE_SIZE);
    mf.bytes(off, 16).set([1, 2, 3]);
    expect(Array.from(mf.bytes(off + 1, 2))).toEqual([2, 3]);
    mf.copy(off + 100, off, 3);
    expect(Array.from(mf.bytes(off + 100, 3))).toEqual([1, 2, 3]);
    mf.zero(off, PAGE_SIZE);
    expect(mf.bytes(off, 3).every((b) => b === 0)).toBe(true);
    mf.decRef(off, PAGE_SIZE);
  });

  it('refuses views that cross a window and operations on free pages', () => {
    expect(() => mf.bytes(MEMORY_FILE_WINDOW - PAGE_SIZE, 2 * PAGE_SIZE)).toThrow(RangeError);
    expect(() => mf.incRef(1024 * PAGE_SIZE, PAGE_SIZE)).toThrow();
    expect(mf.size).toBeGreaterThanOrEqual(MEMORY_FILE_WINDOW);
  });
});
