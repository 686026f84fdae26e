import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemoryFile } from '@tvisor/mm';
import type { FileDescription, StatInfo } from '@tvisor/vfs';
import { PageCache } from './page-cache.js';

function rssShmem(): number {
  const m = /RssShmem:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(m![1]) * 1024;
}

const MB = 1024 * 1024;

describe('PageCache', () => {
  it("a file copied into the cache is the application's to map: the sentry's RSS does not keep it", () => {
    const size = 24 * MB + 123;
    const content = (off: number) => (off * 7) & 0xff;
    // A file as the cache reads it: byte i is content(i).
    const file = {
      readUnreported(dst: Uint8Array, offset: number): number {
        const n = Math.min(dst.length, size - offset, 256 * 1024);
        for (let i = 0; i < n; i++) dst[i] = content(offset + i);
        return n;
      },
    } as unknown as FileDescription;
    const t = { sec: 1, nsec: 0 };
    const st = { dev: 1, ino: 2, size, mtime: t, ctime: t } as unknown as StatInfo;
    const memoryFile = MemoryFile.create('page-cache-test');
    try {
      const before = rssShmem();
      const cached = new PageCache(memoryFile).pagesOf(file, st)!;
      // At most one fill chunk stays in the sentry's view.
      expect(rssShmem() - before).toBeLessThan(2 * MB);
      const bytes = memoryFile.bytes(cached.offset, size);
      for (const off of [0, 1, MB - 1, MB, 13 * MB + 5, size - 1]) expect(bytes[off]).toBe(content(off));
    } finally {
      memoryFile.close();
    }
  });
});
