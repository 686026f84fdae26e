import { describe, expect, it } from 'vitest';
import { otherPackageSources, scanDirs, scanText } from '../tools/scan-hand-typed.mjs';

describe('scan for hand-typed errno and syscall numbers', () => {
  it('flags the shapes it knows', () => {
    const text = [
      'throw new SysError(2);',
      'return { errno: 13 };',
      'return -22;',
      'if (nr === 257) openat();',
      'log(errnoName(9));',
    ].join('\n');
    expect(scanText(text).map((f) => f.line)).toEqual([1, 2, 3, 4, 5]);
  });

  it('leaves named constants, sentinels and comments alone', () => {
    const text = [
      'throw new SysError(Errno.ENOENT);',
      'return -1;',
      'return { errno: 0 };',
      'if (nr === SYS.openat) openat();',
      '// return -22; was the old way',
      ' * errno: 13 in a doc comment',
      'const size = 257;',
    ].join('\n');
    expect(scanText(text)).toEqual([]);
  });

  it('finds nothing in the other packages\' sources', () => {
    const dirs = otherPackageSources();
    expect(dirs.length).toBeGreaterThan(0);
    expect(scanDirs(dirs).map((f) => `${f.file}:${f.line}: ${f.rule}`)).toEqual([]);
  });
});
