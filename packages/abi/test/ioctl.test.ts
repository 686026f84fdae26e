import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FIO, IOC, TC, TIOC, Termios, ioc, iocDir, iocNr, iocSize, iocType } from '../src/index.js';
import { compileAndRun } from '../tools/cc.mjs';

describe('ioctl request encoding', () => {
  it('matches _IOR/_IOW/_IOWR/_IO from the kernel headers', () => {
    const cases: [string, number][] = [
      ["_IOR('T', 0x30, unsigned int)", ioc(IOC.READ, 'T', 0x30, 4)],
      ["_IOW('T', 0x31, int)", ioc(IOC.WRITE, 'T', 0x31, 4)],
      ["_IOWR('f', 2, long)", ioc(IOC.READ | IOC.WRITE, 'f', 2, 8)],
      ["_IO('T', 0x41)", ioc(IOC.NONE, 'T', 0x41, 0)],
      ['_IOC(3, 0xff, 0xff, 0x3fff)', ioc(3, 0xff, 0xff, 0x3fff)],
    ];
    const body = cases.map(([c]) => `  printf("%u\\n", (unsigned)(${c}));`).join('\n');
    const out = compileAndRun(`#include <stdio.h>\n#include <asm-generic/ioctl.h>\nint main(void) {\n${body}\n  return 0;\n}\n`, 'ioc');
    expect(out.trim().split('\n').map(Number)).toEqual(cases.map(([, v]) => v));
  });

  it('takes the fields apart again', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0x3fff }),
        (dir, type, nr, size) => {
          const cmd = ioc(dir, type, nr, size);
          expect([iocDir(cmd), iocType(cmd), iocNr(cmd), iocSize(cmd)]).toEqual([dir, type, nr, size]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reads the size of the termios2 and pty requests', () => {
    expect(iocSize(TC.GETS2)).toBe(Termios.size + 8);
    expect(iocDir(TIOC.GPTN)).toBe(IOC.READ);
    expect(iocSize(TIOC.GPTN)).toBe(4);
    expect(iocDir(FIO.NREAD)).toBe(IOC.NONE);
  });
});
