import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualFilesystem } from '../../src/index.js';
import { HostFilesystem } from '../../src/host.js';
import { HostDriver, VfsDriver } from './drivers.js';
import { apply, describeOp, opArb } from './ops.js';

// The writable host filesystem must behave exactly like the directory it
// wraps: the oracle drives a twin directory on the same host tmpfs directly.
describe('host filesystem behaves like the host directory it wraps (differential)', () => {
  it('random operation sequences give identical results and errnos', () => {
    const umask = process.umask();
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 10, maxLength: 50, size: 'max' }), (ops) => {
        const base = mkdtempSync('/dev/shm/vfs-hostdiff-');
        mkdirSync(`${base}/oracle`, { mode: 0o700 });
        mkdirSync(`${base}/sandbox`, { mode: 0o700 });
        const host = new HostDriver(`${base}/oracle`, true, true);
        const vfs = new VfsDriver(new VirtualFilesystem(new HostFilesystem({ hostPath: `${base}/sandbox` })), umask, true, true);
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
          rmSync(base, { recursive: true, force: true });
        }
      }),
      { numRuns: Number(process.env.VFS_DIFF_RUNS ?? 100) },
    );
  });
});
