// The node:fs facade (@tvisor/vfs/fs) against node:fs itself on a real
// directory: the same calls must give the same values, and errors with the
// same code, errno, syscall, path, dest and message. A memfs user switching
// to the facade relies on exactly that.
import * as nodeFs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { O } from '@tvisor/abi';
import { Volume, createFsFromVolume, type FsApi } from '../src/fs.js';

// /dev/shm is a tmpfs, as the facade's default filesystem is.
const ORACLE_BASE = nodeFs.existsSync('/dev/shm') ? '/dev/shm' : '/tmp';
const SEED = Number(process.env.VFS_DIFF_SEED ?? 20261207);

type Side = { fs: typeof nodeFs | FsApi; root: string; fds: (number | undefined)[] };

/** A call's outcome with the root prefix taken out, so both sides compare. */
function outcome(side: Side, fn: () => unknown): unknown {
  const strip = (s: unknown) => (typeof s === 'string' ? s.split(side.root).join('') : s);
  try {
    return { ok: normalize(fn(), strip) };
  } catch (e) {
    const err = e as Record<string, unknown> & Error;
    return {
      err: {
        message: strip(err.message),
        code: err.code,
        errno: err.errno,
        syscall: err.syscall,
        path: strip(err.path),
        dest: strip(err.dest),
        info: err.info && { ...(err.info as object), path: strip((err.info as { path?: string }).path) },
      },
    };
  }
}

function normalize(v: unknown, strip: (s: unknown) => unknown): unknown {
  if (Buffer.isBuffer(v)) return `buf:${v.toString('utf8')}`;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || Buffer.isBuffer(x) || (x && typeof x === 'object' && 'isDirectory' in x))) {
    // Directory order is the filesystem's (Linux tmpfs: newest first); compare as sets.
    return (v as unknown[])
      .map((x) =>
        typeof x === 'object' && x && 'isDirectory' in x
          ? `${(x as nodeFs.Dirent).name}:${kind(x as nodeFs.Dirent)}:${strip((x as nodeFs.Dirent).parentPath)}`
          : normalize(x, strip),
      )
      .sort();
  }
  if (Array.isArray(v)) return v.map((x) => normalize(x, strip));
  if (v && typeof v === 'object' && 'isFile' in v) {
    const st = v as nodeFs.Stats;
    return { mode: st.mode, nlink: st.nlink, uid: st.uid, gid: st.gid, kind: kind(st), size: st.isFile() || st.isSymbolicLink() ? st.size : undefined };
  }
  return strip(v);
}

function kind(x: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): string {
  return x.isFile() ? 'file' : x.isDirectory() ? 'dir' : x.isSymbolicLink() ? 'link' : 'other';
}

const NAMES = ['a', 'b', 'a/b', 'a/c', 'b/a', 'a/b/c', 'x'];
const nameArb = fc.constantFrom(...NAMES);
// Relative targets only, none climbing out of the top directory (on the host that leaves the test's root).
const targetArb = fc.constantFrom('a', 'b', 'nope', 'a/b', 'c', '.');
const dataArb = fc.string({ maxLength: 20 });
const FLAG_STRINGS = ['r', 'r+', 'w', 'wx', 'w+', 'a', 'ax', 'a+'];
const NUMERIC_FLAGS = [O.CREAT | O.RDWR, O.WRONLY | O.APPEND | O.CREAT, O.RDONLY, O.CREAT | O.EXCL | O.WRONLY, O.TRUNC | O.RDWR, O.RDONLY | O.DIRECTORY];
const flagsArb = fc.oneof(fc.constantFrom(...FLAG_STRINGS), fc.constantFrom(...NUMERIC_FLAGS));
const slotArb = fc.nat(3);

/** One step: a name for the log, and the call to make on a side. */
type Step = { label: string; run: (s: Side, p: (n: string) => string) => unknown };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  // Creators weigh more, so that later calls find something to work on.
  { weight: 5, arbitrary: fc.tuple(nameArb, dataArb).map(([n, d]): Step => ({ label: `writeFile ${n}`, run: (s, p) => s.fs.writeFileSync(p(n), d) })) },
  fc.tuple(nameArb, dataArb).map(([n, d]): Step => ({ label: `appendFile ${n}`, run: (s, p) => s.fs.appendFileSync(p(n), d) })),
  nameArb.map((n): Step => ({ label: `readFile ${n}`, run: (s, p) => s.fs.readFileSync(p(n), 'utf8') })),
  nameArb.map((n): Step => ({ label: `readFile(buffer) ${n}`, run: (s, p) => s.fs.readFileSync(p(n)) })),
  {
    weight: 4,
    arbitrary: fc
      .tuple(nameArb, fc.boolean())
      .map(([n, recursive]): Step => ({ label: `mkdir ${n} ${recursive}`, run: (s, p) => s.fs.mkdirSync(p(n), { recursive }) })),
  },
  fc.tuple(nameArb, fc.boolean(), fc.boolean()).map(([n, withFileTypes, recursive]): Step => ({
    label: `readdir ${n} ${withFileTypes} ${recursive}`,
    run: (s, p) => s.fs.readdirSync(p(n), { withFileTypes, recursive } as { withFileTypes: false }),
  })),
  nameArb.map((n): Step => ({ label: `stat ${n}`, run: (s, p) => s.fs.statSync(p(n)) })),
  nameArb.map((n): Step => ({ label: `lstat ${n}`, run: (s, p) => s.fs.lstatSync(p(n)) })),
  nameArb.map((n): Step => ({ label: `stat?${n}`, run: (s, p) => s.fs.statSync(p(n), { throwIfNoEntry: false }) })),
  nameArb.map((n): Step => ({ label: `exists ${n}`, run: (s, p) => s.fs.existsSync(p(n)) })),
  nameArb.map((n): Step => ({ label: `unlink ${n}`, run: (s, p) => s.fs.unlinkSync(p(n)) })),
  nameArb.map((n): Step => ({ label: `rmdir ${n}`, run: (s, p) => s.fs.rmdirSync(p(n)) })),
  fc
    .tuple(nameArb, fc.boolean(), fc.boolean())
    .map(([n, recursive, force]): Step => ({ label: `rm ${n} ${recursive} ${force}`, run: (s, p) => s.fs.rmSync(p(n), { recursive, force }) })),
  fc.tuple(nameArb, nameArb).map(([a, b]): Step => ({ label: `rename ${a} ${b}`, run: (s, p) => s.fs.renameSync(p(a), p(b)) })),
  { weight: 3, arbitrary: fc.tuple(nameArb, nameArb).map(([a, b]): Step => ({ label: `link ${a} ${b}`, run: (s, p) => s.fs.linkSync(p(a), p(b)) })) },
  { weight: 3, arbitrary: fc.tuple(targetArb, nameArb).map(([t, n]): Step => ({ label: `symlink ${t} ${n}`, run: (s, p) => s.fs.symlinkSync(t, p(n)) })) },
  { weight: 3, arbitrary: nameArb.map((n): Step => ({ label: `readlink ${n}`, run: (s, p) => s.fs.readlinkSync(p(n)) })) },
  fc.tuple(nameArb, fc.nat(30)).map(([n, len]): Step => ({ label: `truncate ${n} ${len}`, run: (s, p) => s.fs.truncateSync(p(n), len) })),
  fc
    .tuple(nameArb, fc.constantFrom(0o600, 0o755, 0o444))
    .map(([n, m]): Step => ({ label: `chmod ${n} ${m.toString(8)}`, run: (s, p) => s.fs.chmodSync(p(n), m) })),
  {
    weight: 4,
    arbitrary: fc.tuple(slotArb, nameArb, flagsArb).map(([slot, n, f]): Step => ({
      label: `open[${slot}] ${n} ${f}`,
      run: (s, p) => {
        if (s.fds[slot] !== undefined) s.fs.closeSync(s.fds[slot]!);
        s.fds[slot] = undefined;
        s.fds[slot] = s.fs.openSync(p(n), f);
        return 'opened';
      },
    })),
  },
  fc.tuple(slotArb, dataArb, fc.option(fc.nat(10), { nil: undefined })).map(([slot, d, pos]): Step => ({
    label: `write[${slot}] ${JSON.stringify(d)} @${pos}`,
    run: (s) => (s.fds[slot] === undefined ? 'no fd' : s.fs.writeSync(s.fds[slot]!, Buffer.from(d), 0, Buffer.byteLength(d), pos ?? null)),
  })),
  fc.tuple(slotArb, fc.nat(16), fc.option(fc.nat(10), { nil: undefined })).map(([slot, len, pos]): Step => ({
    label: `read[${slot}] ${len} @${pos}`,
    run: (s) => {
      if (s.fds[slot] === undefined) return 'no fd';
      const buf = Buffer.alloc(len);
      const n = s.fs.readSync(s.fds[slot]!, buf, 0, len, pos ?? null);
      return [n, buf.subarray(0, n).toString('utf8')].join(':');
    },
  })),
  slotArb.map((slot): Step => ({ label: `fstat[${slot}]`, run: (s) => (s.fds[slot] === undefined ? 'no fd' : s.fs.fstatSync(s.fds[slot]!)) })),
  slotArb.map((slot): Step => ({
    label: `close[${slot}]`,
    run: (s) => {
      if (s.fds[slot] === undefined) return 'no fd';
      const fd = s.fds[slot]!;
      s.fds[slot] = undefined;
      return s.fs.closeSync(fd);
    },
  })),
);

function sides(): { host: Side; facade: Side } {
  const dir = mkdtempSync(`${ORACLE_BASE}/vfs-nodefs-`);
  nodeFs.chmodSync(dir, 0o755); // as the facade's root (a symlink to '.' shows it)
  return { host: { fs: nodeFs, root: dir, fds: [] }, facade: { fs: createFsFromVolume(new Volume()), root: '', fds: [] } };
}

function closeAll(side: Side): void {
  for (const fd of side.fds) if (fd !== undefined) side.fs.closeSync(fd);
}

describe('node:fs facade against node:fs (differential)', () => {
  it('random call sequences give the same values and the same errors', () => {
    const succeeded = new Map<string, number>();
    const failed = new Set<string>();
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 10, maxLength: 60 }), (steps) => {
        const { host, facade } = sides();
        try {
          const log: string[] = [];
          for (const step of steps) {
            const want = outcome(host, () => step.run(host, (n) => `${host.root}/${n}`));
            const got = outcome(facade, () => step.run(facade, (n) => `/${n}`));
            const op = step.label.split(/[ [?(]/)[0];
            if ('ok' in (want as object)) succeeded.set(op, (succeeded.get(op) ?? 0) + 1);
            else failed.add(`${op}:${(want as { err: { code: string } }).err.code}`);
            log.push(`${step.label} -> ${JSON.stringify(want)}`);
            expect(got, log.join('\n')).toEqual(want);
          }
        } finally {
          closeAll(host);
          closeAll(facade);
          rmSync(host.root, { recursive: true, force: true });
        }
      }),
      { numRuns: Number(process.env.VFS_DIFF_RUNS ?? 150), seed: SEED },
    );
    if (process.env.DBG) console.log([...failed].sort().join(' '), [...succeeded].join(' '));
    // Not vacuous: every call succeeded, and the usual errors came up.
    for (const op of [
      'writeFile',
      'appendFile',
      'readFile',
      'mkdir',
      'readdir',
      'stat',
      'lstat',
      'unlink',
      'rmdir',
      'rm',
      'rename',
      'link',
      'symlink',
      'readlink',
      'open',
      'write',
      'read',
      'close',
    ]) {
      expect(succeeded.get(op) ?? 0, op).toBeGreaterThan(0);
    }
    for (const e of [
      'readFile:ENOENT',
      'readFile:EISDIR',
      'mkdir:EEXIST',
      'rmdir:ENOTEMPTY',
      'open:EEXIST',
      'read:EBADF',
      'readlink:EINVAL',
      'rm:ERR_FS_EISDIR',
    ]) {
      expect(failed, e).toContain(e);
    }
  });
});

describe('node:fs facade, examples against node:fs', () => {
  let host: Side;
  let facade: Side;
  beforeEach(() => ({ host, facade } = sides()));
  afterEach(() => rmSync(host.root, { recursive: true, force: true }));

  const both = (run: (s: Side, p: (n: string) => string) => unknown) => {
    const want = outcome(host, () => run(host, (n) => `${host.root}/${n}`));
    const got = outcome(facade, () => run(facade, (n) => `/${n}`));
    if (process.env.DBG) console.log(JSON.stringify({ want, got }));
    expect(got).toEqual(want);
    return want;
  };

  it('errors name the call and the path as node:fs does', () => {
    expect(both((s, p) => s.fs.readFileSync(p('nope')))).toMatchObject({ err: { code: 'ENOENT', errno: -2, syscall: 'open', path: '/nope' } });
    both((s, p) => s.fs.mkdirSync(p('d')));
    both((s, p) => s.fs.writeFileSync(p('d/f'), 'x'));
    expect(both((s, p) => s.fs.readdirSync(p('d/f')))).toMatchObject({ err: { message: "ENOTDIR: not a directory, scandir '/d/f'" } });
    expect(both((s, p) => s.fs.renameSync(p('nope'), p('x')))).toMatchObject({ err: { dest: '/x' } });
    expect(both((s, p) => s.fs.symlinkSync('t', p('d/f')))).toMatchObject({ err: { message: "EEXIST: file already exists, symlink 't' -> '/d/f'" } });
    expect(both((s, p) => s.fs.mkdirSync(p('d/f/a/b'), { recursive: true }))).toMatchObject({ err: { code: 'ENOTDIR', path: '/d/f/a/b' } });
    expect(both((s, p) => s.fs.mkdirSync(p('d/x/y'), { recursive: true }))).toEqual({ ok: '/d/x' });
    expect(both((s, p) => s.fs.rmSync(p('d')))).toMatchObject({ err: { code: 'ERR_FS_EISDIR' } });
    expect(both((s) => s.fs.closeSync(12345))).toMatchObject({ err: { message: 'EBADF: bad file descriptor, close' } });
    expect(both((s, p) => s.fs.openSync(p('d/f'), 'zz'))).toMatchObject({ err: { code: 'ERR_INVALID_ARG_VALUE' } });
    expect(both((s) => s.fs.statSync(42 as unknown as string))).toMatchObject({ err: { code: 'ERR_INVALID_ARG_TYPE' } });
  });

  it('numeric flags mean what they say: O_CREAT|O_RDWR reads and writes, O_WRONLY cannot read', () => {
    expect(
      both((s, p) => {
        const fd = s.fs.openSync(p('f'), O.CREAT | O.RDWR, 0o600);
        s.fs.writeSync(fd, 'hello');
        const buf = Buffer.alloc(5);
        const n = s.fs.readSync(fd, buf, 0, 5, 0);
        s.fs.closeSync(fd);
        return [n, buf.toString(), s.fs.statSync(p('f'))!.mode & 0o777];
      }),
    ).toEqual({ ok: [5, 'hello', 0o600] });
    expect(
      both((s, p) => {
        const fd = s.fs.openSync(p('f'), O.WRONLY);
        try {
          return s.fs.readSync(fd, Buffer.alloc(1));
        } finally {
          s.fs.closeSync(fd);
        }
      }),
    ).toMatchObject({ err: { code: 'EBADF', syscall: 'read' } });
    expect(both((s, p) => s.fs.openSync(p('f'), O.CREAT | O.EXCL | O.WRONLY))).toMatchObject({ err: { code: 'EEXIST', syscall: 'open' } });
  });

  it('recursive readdir, Dirent fields, rm -rf, existsSync', () => {
    both((s, p) => s.fs.mkdirSync(p('t/u/v'), { recursive: true }));
    both((s, p) => s.fs.writeFileSync(p('t/u/v/f'), 'x'));
    both((s, p) => s.fs.symlinkSync('u', p('t/l')));
    expect(both((s, p) => s.fs.readdirSync(p('t'), { recursive: true }))).toEqual({ ok: ['l', 'l/v', 'l/v/f', 'u', 'u/v', 'u/v/f'] });
    expect(both((s, p) => s.fs.readdirSync(p('t'), { recursive: true, withFileTypes: true }))).toEqual({
      ok: ['f:file:/t/u/v', 'l:link:/t', 'u:dir:/t', 'v:dir:/t/u'],
    });
    expect(both((s, p) => [s.fs.rmSync(p('t'), { recursive: true }), s.fs.existsSync(p('t'))])).toEqual({ ok: [undefined, false] });
  });

  it('promises reject and callbacks answer with the same errors', async () => {
    const p = (side: Side, n: string) => `${side.root}/${n}`;
    const settle = async (side: Side, fn: () => Promise<unknown>) =>
      outcome(side, () => {
        throw 'unreached';
      }) &&
      fn().then(
        (v) => ({ ok: v }),
        (e) =>
          outcome(side, () => {
            throw e;
          }),
      );
    const want = await settle(host, () => nodeFs.promises.readFile(p(host, 'nope')));
    expect(await settle(facade, () => (facade.fs as FsApi).promises.readFile(p(facade, 'nope')))).toEqual(want);
    const viaCallback = (side: Side) =>
      new Promise((resolve) =>
        (side.fs as unknown as { readdir: (p: string, cb: (e: unknown, v: unknown) => void) => void }).readdir(p(side, 'nope'), (e) =>
          resolve(
            outcome(side, () => {
              throw e;
            }),
          ),
        ),
      );
    expect(await viaCallback(facade)).toEqual(await viaCallback(host));
    const fsApi = facade.fs as FsApi;
    await fsApi.promises.writeFile('/pf', 'promised');
    const handle = await fsApi.promises.open('/pf', 'r+');
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(8), 0, 8, 0);
    await handle.close();
    expect([bytesRead, buffer.toString()]).toEqual([8, 'promised']);
  });

  it('streams: same bytes, offsets and errors as node:fs streams', async () => {
    const run = async (side: Side, p: (n: string) => string) => {
      const fs = side.fs as FsApi;
      const out: unknown[] = [];
      fs.writeFileSync(p('s'), '0123456789abcdef');
      await new Promise<void>((resolve, reject) =>
        fs.createWriteStream(p('s'), { flags: 'r+', start: 4 }).on('error', reject).on('finish', resolve).end('WXYZ'),
      );
      out.push(fs.readFileSync(p('s'), 'utf8'));
      let got = '';
      for await (const c of fs.createReadStream(p('s'), { start: 2, end: 9, encoding: 'utf8', highWaterMark: 3 })) got += `${c}|`;
      out.push(got);
      out.push(
        await new Promise((resolve) =>
          fs.createReadStream(p('nope')).on('error', (e) =>
            resolve(
              outcome(side, () => {
                throw e;
              }),
            ),
          ),
        ),
      );
      out.push(
        await new Promise((resolve) =>
          fs.createWriteStream(p('nope/x')).on('error', (e) =>
            resolve(
              outcome(side, () => {
                throw e;
              }),
            ),
          ),
        ),
      );
      return out;
    };
    const want = await run(host, (n) => `${host.root}/${n}`);
    expect(want.slice(0, 2)).toEqual(['0123WXYZ89abcdef', '23W|XYZ|89|']);
    expect(await run(facade, (n) => `/${n}`)).toEqual(want);
  });

  it('streams carry a large file through unchanged', async () => {
    const fsApi = facade.fs as FsApi;
    const data = Buffer.alloc(300_000, 0).map((_, i) => (i * 7919) & 0xff);
    await new Promise<void>((resolve, reject) => fsApi.createWriteStream('/big').on('error', reject).on('finish', resolve).end(data));
    const chunks: Buffer[] = [];
    for await (const c of fsApi.createReadStream('/big', { start: 10, end: 299_989, highWaterMark: 4096 })) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(Buffer.from(data.subarray(10, 299_990)))).toBe(true);
    const missing = await new Promise((resolve) => fsApi.createReadStream('/nope').on('error', resolve));
    expect(missing).toMatchObject({ code: 'ENOENT', syscall: 'open', path: '/nope' });
  });
});

describe('Volume.fromJSON, as memfs', () => {
  it('creates files and directories with their parents', () => {
    const vol = new Volume();
    vol.fromJSON({ 'a/b.txt': 'x', '/c': null, 'd/e/f': 'y' }, '/w');
    const fs = createFsFromVolume(vol);
    expect([fs.readdirSync('/w', { recursive: true }).sort(), fs.readFileSync('/w/a/b.txt', 'utf8'), fs.statSync('/c')!.isDirectory()]).toEqual([
      ['a', 'a/b.txt', 'd', 'd/e', 'd/e/f'],
      'x',
      true,
    ]);
  });
});
