import { fork, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TmpfsFilesystem, VirtualFilesystem } from '../../src/index.js';
import { VfsDriver, type Result } from './drivers.js';
import { apply, describeOp, opArb, type Op } from './ops.js';

// Permission semantics against Linux itself: the oracle is a child process
// running as uid/gid 1000 on the host's tmpfs, the VFS gets the same
// credentials over a tmpfs whose root that user owns.
const UID = 1000;
const canSwitch = process.getuid?.() === 0;
const SUPPORTED = new Set<Op['op']>([
  'mkdir',
  'open',
  'close',
  'write',
  'read',
  'rename',
  'link',
  'symlink',
  'readlink',
  'unlink',
  'rmdir',
  'chmod',
  'chown',
  'utimens',
  'stat',
  'fstat',
  'readdir',
  'access',
]);

/** Ops the node:fs oracle can express exactly (Node skips the kernel for empty reads/writes, has no rename flags). */
const unprivilegedOp = opArb
  .filter((o) => SUPPORTED.has(o.op))
  .map((o): Op => {
    if (o.op === 'rename') return { ...o, flags: 0 };
    if (o.op === 'read') return { ...o, len: Math.max(1, o.len) };
    if (o.op === 'write' && o.data.length === 0) return { ...o, data: new Uint8Array([1]) };
    if (o.op === 'open') return { ...o, flags: o.flags & ~0o10000000 };
    return o;
  });

describe.skipIf(!canSwitch)('permission checks match Linux for an unprivileged user (differential)', () => {
  let child: ChildProcess;
  let base: string;
  const call = (msg: unknown) =>
    new Promise<Result & { fatal?: string }>((resolve) => {
      child.once('message', (m) => resolve(m as Result));
      child.send(msg as never);
    });

  beforeAll(async () => {
    base = mkdtempSync('/dev/shm/vfs-unpriv-');
    chownSync(base, UID, UID);
    child = fork(fileURLToPath(new URL('./unprivileged-oracle.mjs', import.meta.url)), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    await call({ init: true, base, uid: UID, gid: UID, groups: [UID], umask: 0o022 });
  });
  afterAll(() => {
    child.kill();
    rmSync(base, { recursive: true, force: true });
  });

  it('random operation sequences give identical results and errnos', async () => {
    let run = 0;
    const errnos = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(unprivilegedOp, { minLength: 10, maxLength: 40, size: 'max' }), async (ops) => {
        const dir = `${base}/run${run++}`;
        mkdirSync(dir, { mode: 0o755 });
        chownSync(dir, UID, UID);
        await call({ reset: dir });
        const vfs = new VfsDriver(new VirtualFilesystem(new TmpfsFilesystem({ mode: 0o755, uid: UID, gid: UID })), 0o022, true, false);
        Object.assign(vfs.ctx, { creds: { uid: UID, gid: UID, groups: [UID] } });
        try {
          const log: string[] = [];
          for (const o of ops) {
            // Byte buffers travel over IPC as plain arrays.
            const want = await call(o.op === 'write' ? { ...o, data: Array.from(o.data) } : o);
            expect(want.fatal, describeOp(o)).toBeUndefined();
            if ('errno' in want) errnos.add(want.errno);
            const got = apply(vfs, o);
            log.push(`${describeOp(o)} -> ${JSON.stringify(want)}`);
            expect(got, log.join('\n')).toEqual(want);
          }
        } finally {
          vfs.closeAll();
          // Restore search/write permission everywhere so the tree can be removed.
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: Number(process.env.VFS_DIFF_RUNS ?? 100) },
    );
    // The runs did exercise permission failures, not just path errors.
    expect([...errnos]).toEqual(expect.arrayContaining(['EACCES', 'EPERM']));
  });
});
