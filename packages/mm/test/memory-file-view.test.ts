import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemoryFile } from '../src/memory-file.js';

/** This process's RSS of shared memory (the memory file's pages it has mapped), in bytes. */
function rssShmem(): number {
  const m = /RssShmem:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(m![1]) * 1024;
}

const MB = 1024 * 1024;

describe('MemoryFile: the sentry lets go of pages it filled for the application', () => {
  it("releaseView drops the pages from the sentry's RSS and keeps their content", () => {
    const file = MemoryFile.create('view-test');
    try {
      const offset = file.allocate(16 * MB);
      const before = rssShmem();
      file.bytes(offset, 16 * MB).fill(0x5a);
      expect(rssShmem() - before).toBeGreaterThanOrEqual(15 * MB);
      file.releaseView(offset, 16 * MB);
      expect(rssShmem() - before).toBeLessThan(1 * MB);
      // The pages are the file's: reading faults them back with their content.
      const back = file.bytes(offset, 16 * MB);
      expect(back[0]).toBe(0x5a);
      expect(back[16 * MB - 1]).toBe(0x5a);
      expect(file.committedBytes(offset, 16 * MB)).toBe(16 * MB);
    } finally {
      file.close();
    }
  });

  it('releaseAllViews does the same for every window', () => {
    const file = MemoryFile.create('view-test-all');
    try {
      const a = file.allocate(8 * MB);
      const before = rssShmem();
      file.bytes(a, 8 * MB).fill(1);
      expect(rssShmem() - before).toBeGreaterThanOrEqual(7 * MB);
      file.releaseAllViews();
      expect(rssShmem() - before).toBeLessThan(1 * MB);
      expect(file.bytes(a, 8 * MB)[8 * MB - 1]).toBe(1);
    } finally {
      file.close();
    }
  });
});
