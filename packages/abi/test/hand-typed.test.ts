import { describe, expect, it } from 'vitest';
import { otherPackageSources, scanDirs, scanText } from '../tools/scan-hand-typed.mjs';

describe('scan for hand-typed errno and syscall numbers', () => {
  it('flags the shapes it knows', () => {
    const text = ['throw new SysError(2);', 'return { errno: 13 };', 'return -22;', 'if (nr === 257) openat();', 'log(errnoName(9));'].join('\n');
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

  it('flags wait flags, AT_ constants, signal numbers and dispositions, filesystem magics', () => {
    const text = [
      'const __WALL = 0x40000000;',
      'const WNOHANG = 1;',
      'const AT_FDCWD = -100;',
      'return check(raw.openat2(NR.openat2, -100, path, how, 24));',
      'const SIGRTMIN = 32;',
      'export const SIG_IGN = 1n;',
      'if (chld.handler === 1n) reap();',
      '  exitSignal = 17;',
      'const PROC_MAGIC = 0x9fa0;',
      '  0x62656572, // sysfs',
      "super('proc', 0x9fa0);",
    ].join('\n');
    expect(scanText(text).map((f) => f.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 10, 11]);
    expect(scanText('  0x62656572, // sysfs')[0].rule).toBe('filesystem magic SYSFS_MAGIC typed by hand');
  });

  it('leaves the named forms and unrelated numbers alone', () => {
    const text = [
      'const ev = this.collect(WAIT.ALL | WAIT.NOHANG);',
      "return regs.argInt(i) === AT.FDCWD ? 'AT_FDCWD' : String(v);",
      'if (q && sig < Signal.SIGRTMIN) return;',
      'export const SIG_IGN = BigInt(SIG.IGN);',
      'if (chld.handler === SIG_IGN) reap();',
      '  exitSignal: number = Signal.SIGCHLD;',
      "super('proc', FS_MAGIC.PROC_SUPER_MAGIC);",
      'const FP_XSTATE_MAGIC2_SIZE = 4;',
      'const x = a - 100;',
      'const mask = 0x9fa;',
      'if (sig === 0) return;',
    ].join('\n');
    expect(scanText(text)).toEqual([]);
  });

  it("finds nothing in the other packages' sources", () => {
    const dirs = otherPackageSources();
    expect(dirs.length).toBeGreaterThan(0);
    expect(scanDirs(dirs).map((f) => `${f.file}:${f.line}: ${f.rule}`)).toEqual([]);
  });
});
