import { describe, expect, it } from 'vitest';
import { Errno, SysError } from '@tvisor/abi';
import { tmpfsOptions } from './mount.js';

function errnoOf(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    if (e instanceof SysError) return e.errno;
    throw e;
  }
  return 0;
}

describe('tmpfs mount options', () => {
  const GiB = 2 ** 30;
  it('parses mode (octal), uid, gid and sizes as tmpfs(5) says', () => {
    expect(tmpfsOptions('', GiB)).toEqual({ mode: 0o1777 });
    expect(tmpfsOptions('mode=0700,uid=5,gid=6', GiB)).toEqual({ mode: 0o700, uid: 5, gid: 6 });
    expect(tmpfsOptions('mode=123', GiB).mode).toBe(0o123);
    // size rounds up to whole pages; suffixes and percentages of memory.
    expect(tmpfsOptions('size=1', GiB).maxBytes).toBe(4096);
    expect(tmpfsOptions('size=4097', GiB).maxBytes).toBe(8192);
    expect(tmpfsOptions('size=2k', GiB).maxBytes).toBe(4096);
    expect(tmpfsOptions('size=3M', GiB).maxBytes).toBe(3 * 2 ** 20);
    expect(tmpfsOptions('size=50%', GiB).maxBytes).toBe(GiB / 2);
    expect(tmpfsOptions('nr_blocks=2', GiB).maxBytes).toBe(8192);
    expect(tmpfsOptions('nr_inodes=10', GiB)).toEqual({ mode: 0o1777 });
  });

  it('refuses options tmpfs does not know and options without a value (EINVAL)', () => {
    for (const bad of ['size', 'size=', 'size=abc', 'mode=9', 'bogus=1', 'uid=-1'])
      expect(
        errnoOf(() => tmpfsOptions(bad, GiB)),
        bad,
      ).toBe(Errno.EINVAL);
  });
});
