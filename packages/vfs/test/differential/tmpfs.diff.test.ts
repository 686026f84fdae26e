import { mkdtempSync, rmSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TmpfsFilesystem, VirtualFilesystem } from '../../src/index.js';
import { HostDriver, VfsDriver } from './drivers.js';
import { apply, describeOp, opArb } from './ops.js';

// The oracle runs on the host's /dev/shm, itself a tmpfs, so even directory
// sizes and block counts must agree.
const ORACLE_BASE = '/dev/shm';

describe('tmpfs behaves like Linux tmpfs (differential)', () => {
  it('random operation sequences give identical results and errnos', () => {
    const umask = process.umask();
    const succeeded = new Map<string, number>();
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 10, maxLength: 60, size: 'max' }), (ops) => {
        const dir = mkdtempSync(`${ORACLE_BASE}/vfs-diff-`);
        const host = new HostDriver(dir, true, true);
        const vfs = new VfsDriver(new VirtualFilesystem(new TmpfsFilesystem({ mode: 0o700 })), umask, true, true);
        try {
          const log: string[] = [];
          for (const o of ops) {
            const want = apply(host, o);
            const got = apply(vfs, o);
            if ('ok' in want) succeeded.set(o.op, (succeeded.get(o.op) ?? 0) + 1);
            log.push(`${describeOp(o)} -> ${JSON.stringify(want)}`);
            expect(got, log.join('\n')).toEqual(want);
          }
        } finally {
          host.closeAll();
          vfs.closeAll();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: Number(process.env.VFS_DIFF_RUNS ?? 200) },
    );
    // Guard against a vacuous run where everything fails the same way.
    for (const op of ['mkdir', 'open', 'write', 'read', 'rename', 'link', 'symlink', 'unlink', 'stat', 'readdir']) {
      expect(succeeded.get(op) ?? 0, op).toBeGreaterThan(2);
    }
  });
});
