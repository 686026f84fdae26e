import fc from 'fast-check';
import type { Driver, Result } from './drivers.js';
import { capture } from './drivers.js';

/** One random operation of a differential run. */
export type Op =
  | { op: 'mkdir'; path: string; mode: number }
  | { op: 'open'; path: string; flags: number; mode: number }
  | { op: 'close'; slot: number }
  | { op: 'write'; slot: number; data: Uint8Array; pos: number | null }
  | { op: 'read'; slot: number; len: number; pos: number | null }
  | { op: 'lseek'; slot: number; off: number; whence: number }
  | { op: 'ftruncate'; slot: number; len: number }
  | { op: 'truncate'; path: string; len: number }
  | { op: 'rename'; from: string; to: string; flags: number }
  | { op: 'link'; from: string; to: string }
  | { op: 'symlink'; target: string; path: string }
  | { op: 'readlink'; path: string }
  | { op: 'unlink'; path: string }
  | { op: 'rmdir'; path: string }
  | { op: 'chmod'; path: string; mode: number }
  | { op: 'utimens'; path: string; atime: number; mtime: number }
  | { op: 'stat'; path: string; follow: boolean }
  | { op: 'fstat'; slot: number }
  | { op: 'readdir'; path: string }
  | { op: 'access'; path: string; mode: number }
  | { op: 'fallocate'; slot: number; mode: number; offset: number; len: number }
  | { op: 'chown'; path: string; uid: number; gid: number }
  | { op: 'mknod'; path: string; mode: number };

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;
const O_DIRECTORY = 0o200000;
const O_NOFOLLOW = 0o400000;
const O_PATH = 0o10000000;
const O_NONBLOCK = 0o4000;
const O_TMPFILE = 0o20200000;

const name = fc.constantFrom('a', 'b', 'c', 's');
/**
 * Paths stay inside the test root: ".." only ever follows a named
 * component, so the host (whose root has a parent) and the VFS (whose root
 * is its own parent) agree.
 */
export const pathArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: name },
  { weight: 5, arbitrary: fc.tuple(name, name).map(([x, y]) => `${x}/${y}`) },
  { weight: 2, arbitrary: fc.tuple(name, name, name).map(([x, y, z]) => `${x}/${y}/${z}`) },
  { weight: 1, arbitrary: fc.tuple(name, name).map(([x, y]) => `${x}/../${y}`) },
  { weight: 1, arbitrary: fc.array(name, { minLength: 1, maxLength: 2 }).map((c) => c.join('/') + '/') },
  { weight: 1, arbitrary: fc.tuple(name, name).map(([x, y]) => `${x}/./${y}`) },
  { weight: 1, arbitrary: fc.constantFrom('.', 'a/.', 'a/..', '') },
);
/** Symlink targets: relative, never naming the root (so ".." never climbs out), sometimes dangling or looping. */
const targetArb = fc.oneof(
  fc.array(name, { minLength: 1, maxLength: 2 }).map((c) => c.join('/')),
  fc.constantFrom('a/', 's', 'zz', 'b/c/'),
);
const slotArb = fc.integer({ min: 3, max: 8 });
const posArb = fc.option(fc.integer({ min: 0, max: 20000 }), { nil: null });
const modeArb = fc.constantFrom(0o755, 0o644, 0o700, 0o4755, 0o1777, 0o000, 0o2775);
const flagsArb = fc.constantFrom(
  O_RDONLY,
  O_WRONLY | O_CREAT,
  O_RDWR | O_CREAT,
  O_RDWR | O_CREAT | O_EXCL,
  O_WRONLY | O_TRUNC,
  O_RDONLY | O_DIRECTORY,
  O_WRONLY | O_APPEND | O_CREAT,
  O_RDWR | O_NOFOLLOW,
  O_CREAT | O_WRONLY | O_NOFOLLOW,
  O_RDWR | O_TRUNC | O_CREAT,
  O_RDWR,
  O_PATH | O_NOFOLLOW,
  O_PATH,
  O_CREAT | O_DIRECTORY | O_RDONLY,
  O_TMPFILE | O_RDWR,
  O_TMPFILE | O_EXCL | O_WRONLY,
  O_TMPFILE | O_RDONLY,
);

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('mkdir' as const), path: pathArb, mode: modeArb }),
  // O_NONBLOCK everywhere: a FIFO open must not block the oracle (it changes nothing for other files).
  { weight: 3, arbitrary: fc.record({ op: fc.constant('open' as const), path: pathArb, flags: flagsArb.map((f) => f | O_NONBLOCK), mode: modeArb }) },
  fc.record({ op: fc.constant('close' as const), slot: slotArb }),
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('write' as const),
      slot: slotArb,
      data: fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 64 }), fc.uint8Array({ minLength: 4000, maxLength: 9000 })),
      pos: posArb,
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('read' as const), slot: slotArb, len: fc.integer({ min: 0, max: 9000 }), pos: posArb }) },
  fc.record({ op: fc.constant('lseek' as const), slot: slotArb, off: fc.integer({ min: -100, max: 20000 }), whence: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ op: fc.constant('ftruncate' as const), slot: slotArb, len: fc.integer({ min: -1, max: 20000 }) }),
  fc.record({ op: fc.constant('truncate' as const), path: pathArb, len: fc.integer({ min: 0, max: 20000 }) }),
  { weight: 2, arbitrary: fc.record({ op: fc.constant('rename' as const), from: pathArb, to: pathArb, flags: fc.constantFrom(0, 0, 1, 2, 3) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('link' as const), from: pathArb, to: pathArb }) },
  fc.record({ op: fc.constant('symlink' as const), target: targetArb, path: pathArb }),
  fc.record({ op: fc.constant('readlink' as const), path: pathArb }),
  fc.record({ op: fc.constant('unlink' as const), path: pathArb }),
  fc.record({ op: fc.constant('rmdir' as const), path: pathArb }),
  fc.record({ op: fc.constant('chmod' as const), path: pathArb, mode: modeArb }),
  fc.record({ op: fc.constant('utimens' as const), path: pathArb, atime: fc.integer({ min: 0, max: 2 ** 31 }), mtime: fc.integer({ min: 0, max: 2 ** 31 }) }),
  { weight: 2, arbitrary: fc.record({ op: fc.constant('stat' as const), path: pathArb, follow: fc.boolean() }) },
  fc.record({ op: fc.constant('fstat' as const), slot: slotArb }),
  fc.record({ op: fc.constant('readdir' as const), path: pathArb }),
  fc.record({
    op: fc.constant('fallocate' as const),
    slot: slotArb,
    mode: fc.constantFrom(0, 1, 3, 2, 0x10, 0x11),
    offset: fc.integer({ min: -1, max: 20000 }),
    len: fc.integer({ min: 0, max: 20000 }),
  }),
  fc.record({ op: fc.constant('access' as const), path: pathArb, mode: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('chown' as const), path: pathArb, uid: fc.constantFrom(-1, 0, 1000), gid: fc.constantFrom(-1, 0, 1000) }),
  fc.record({ op: fc.constant('mknod' as const), path: pathArb, mode: fc.constantFrom(0o010644, 0o100600, 0o140755, 0o010000) }),
);

/** Apply one operation to a driver and capture its outcome. */
export function apply(d: Driver, o: Op): Result {
  switch (o.op) {
    case 'mkdir':
      return capture(() => d.mkdir(o.path, o.mode));
    case 'open':
      return capture(() => d.open(o.path, o.flags, o.mode));
    case 'close':
      return capture(() => d.close(o.slot));
    case 'write':
      return capture(() => d.write(o.slot, o.data, o.pos));
    case 'read':
      return capture(() => Array.from(d.read(o.slot, o.len, o.pos)));
    case 'lseek':
      return capture(() => d.lseek(o.slot, o.off, o.whence));
    case 'ftruncate':
      return capture(() => d.ftruncate(o.slot, o.len));
    case 'truncate':
      return capture(() => d.truncate(o.path, o.len));
    case 'rename':
      return capture(() => d.rename(o.from, o.to, o.flags));
    case 'link':
      return capture(() => d.link(o.from, o.to));
    case 'symlink':
      return capture(() => d.symlink(o.target, o.path));
    case 'readlink':
      return capture(() => d.readlink(o.path));
    case 'unlink':
      return capture(() => d.unlink(o.path));
    case 'rmdir':
      return capture(() => d.rmdir(o.path));
    case 'chmod':
      return capture(() => d.chmod(o.path, o.mode));
    case 'utimens':
      return capture(() => d.utimens(o.path, o.atime, o.mtime));
    case 'stat':
      return capture(() => d.stat(o.path, o.follow));
    case 'fstat':
      return capture(() => d.fstat(o.slot));
    case 'readdir':
      return capture(() => d.readdir(o.path));
    case 'access':
      return capture(() => d.access(o.path, o.mode));
    case 'fallocate':
      return capture(() => d.fallocate(o.slot, o.mode, o.offset, o.len));
    case 'chown':
      return capture(() => d.chown(o.path, o.uid, o.gid));
    case 'mknod':
      return capture(() => d.mknod(o.path, o.mode));
  }
}

/** Describe an op for failure messages without dumping whole buffers. */
export function describeOp(o: Op): string {
  return JSON.stringify(o, (_k, v) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v));
}
