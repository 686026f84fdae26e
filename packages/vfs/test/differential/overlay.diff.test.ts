import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OverlayFilesystem, VirtualFilesystem } from '../../src/index.js';
import { HostFilesystem } from '../../src/host.js';
import { HostDriver, VfsDriver } from './drivers.js';
import { apply, describeOp, opArb } from './ops.js';

// The oracle is a real Linux overlay mount (tmpfs upper over a lower tree on
// /dev/shm); the VFS gets a tmpfs upper over the same lower tree through the
// read-only host filesystem.
const canMount = process.getuid?.() === 0;

function buildLower(dir: string): void {
  mkdirSync(`${dir}/a/b`, { recursive: true });
  writeFileSync(`${dir}/a/a`, 'hello');
  writeFileSync(`${dir}/a/b/c`, 'x'.repeat(5000));
  symlinkSync('b/../a', `${dir}/a/s`);
  writeFileSync(`${dir}/b`, new Uint8Array(10000).fill(7));
  symlinkSync('a', `${dir}/c`);
  mkdirSync(`${dir}/s/c`, { recursive: true });
  writeFileSync(`${dir}/s/a`, '');
}

describe.skipIf(!canMount)('overlay behaves like Linux overlayfs (differential)', () => {
  let base: string;
  let lower: string;
  beforeAll(() => {
    base = mkdtempSync('/dev/shm/vfs-ovl-');
    lower = `${base}/lower`;
    mkdirSync(lower);
    buildLower(lower);
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('random operation sequences give identical results and errnos', () => {
    const umask = process.umask();
    let run = 0;
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 10, maxLength: 50, size: 'max' }), (ops) => {
        const r = `${base}/run${run++}`;
        mkdirSync(`${r}/upper`, { recursive: true });
        mkdirSync(`${r}/work`);
        mkdirSync(`${r}/merged`);
        execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${r}/upper,workdir=${r}/work`, `${r}/merged`]);
        const host = new HostDriver(`${r}/merged`, true, false);
        const ovl = new OverlayFilesystem({ lower: new HostFilesystem({ hostPath: lower, readOnly: true }) });
        const vfs = new VfsDriver(new VirtualFilesystem(ovl), umask, true, false);
        try {
          const log: string[] = [];
          for (const o of ops) {
            const want = apply(host, o);
            const got = apply(vfs, o);
            log.push(`${describeOp(o)} -> ${JSON.stringify(want)}`);
            expect(got, log.join('\n')).toEqual(want);
          }
        } finally {
          host.closeAll();
          vfs.closeAll();
          execFileSync('umount', [`${r}/merged`]);
          rmSync(r, { recursive: true, force: true });
        }
      }),
      { numRuns: Number(process.env.VFS_DIFF_RUNS ?? 150) },
    );
    // 150 real overlay mounts and unmounts: about 20 s on an idle 2-core VM, three times that under load.
  }, 180_000);
});
