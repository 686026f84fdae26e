import { AT, FALLOC_FL, O } from '@tvisor/abi';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROOT_CREDENTIALS, TmpfsFilesystem, VirtualFilesystem, type TmpfsPageAllocator } from '../src/index.js';

/** An allocator that remembers which pages are out, as a kernel's memory-file allocator would. */
function countingAllocator() {
  const live = new Set<Uint8Array>();
  const pages: TmpfsPageAllocator = {
    allocate(size) {
      const page = new Uint8Array(size);
      live.add(page);
      return page;
    },
    free(pages) {
      for (const page of pages) if (!live.delete(page)) throw new Error('page freed twice or never allocated');
    },
  };
  return { pages, live };
}

function setup() {
  const alloc = countingAllocator();
  const vfs = new VirtualFilesystem(new TmpfsFilesystem({ mode: 0o755, pages: alloc.pages }));
  const ctx = { ...vfs.context(ROOT_CREDENTIALS), umask: 0o022 };
  return { vfs, ctx, ...alloc };
}

describe('tmpfs pages from an allocator (MAP_SHARED support)', () => {
  it('a mappable page is the file data itself: writes through it are read back, and write(2) shows in it', () => {
    const { vfs, ctx, live } = setup();
    const fd = vfs.openAt(ctx, '/f', { flags: O.CREAT | O.RDWR, mode: 0o644 });
    fd.write(new TextEncoder().encode('hello'), 0);
    const page = fd.mappablePage(0);
    expect(live.has(page)).toBe(true);
    expect(fd.mappablePage(0)).toBe(page);
    page.set([74, 69], 0); // "JE"
    const back = new Uint8Array(5);
    fd.read(back, 0);
    expect(new TextDecoder().decode(back)).toBe('JEllo');
    fd.write(new Uint8Array([33]), 4);
    expect(page[4]).toBe(33);
    // A hole gets a zeroed page when mapped.
    expect(fd.mappablePage(3).every((b) => b === 0)).toBe(true);
    expect(live.size).toBe(2);
    fd.decRef();
  });

  it('pages go back on truncate, hole punching, and when the last name and the last open file are gone', () => {
    const { vfs, ctx, live } = setup();
    const fd = vfs.openAt(ctx, '/f', { flags: O.CREAT | O.RDWR, mode: 0o644 });
    fd.write(new Uint8Array(5 * 4096), 0);
    expect(live.size).toBe(5);
    vfs.truncateAt(ctx, '/f', 3 * 4096);
    expect(live.size).toBe(3);
    fd.allocate(FALLOC_FL.PUNCH_HOLE | FALLOC_FL.KEEP_SIZE, 4096, 4096);
    expect(live.size).toBe(2);
    vfs.unlinkAt(ctx, '/f');
    expect(live.size).toBe(2); // still open
    fd.decRef();
    expect(live.size).toBe(0);
  });

  it('an unnamed O_TMPFILE frees on last close; a linked one keeps its pages', () => {
    const { vfs, ctx, live } = setup();
    const tmp = vfs.openAt(ctx, '/', { flags: O.TMPFILE | O.RDWR, mode: 0o600 });
    tmp.write(new Uint8Array(4096), 0);
    tmp.decRef();
    expect(live.size).toBe(0);
    const kept = vfs.openAt(ctx, '/', { flags: O.TMPFILE | O.RDWR, mode: 0o600 });
    kept.write(new Uint8Array(4096), 0);
    vfs.linkAt({ ...ctx, start: kept.vd }, '', ctx, '/named', AT.EMPTY_PATH);
    kept.decRef();
    expect(live.size).toBe(1);
  });

  it('never leaks or double-frees pages over random writes, maps, truncates, renames and unlinks', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), file: fc.nat(2), page: fc.nat(6), len: fc.integer({ min: 1, max: 9000 }) }),
      fc.record({ kind: fc.constant('map' as const), file: fc.nat(2), page: fc.nat(8) }),
      fc.record({ kind: fc.constant('truncate' as const), file: fc.nat(2), size: fc.nat(8 * 4096) }),
      fc.record({ kind: fc.constant('rename' as const), from: fc.nat(2), to: fc.nat(2) }),
      fc.record({ kind: fc.constant('unlink' as const), file: fc.nat(2) }),
      fc.record({ kind: fc.constant('close' as const), file: fc.nat(2) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const { vfs, ctx, live } = setup();
        const open = new Map<number, ReturnType<typeof vfs.openAt>>();
        const fdOf = (i: number) => {
          let fd = open.get(i);
          if (!fd) {
            fd = vfs.openAt(ctx, `/f${i}`, { flags: O.CREAT | O.RDWR, mode: 0o644 });
            open.set(i, fd);
          }
          return fd;
        };
        const tryIt = (f: () => void) => {
          try {
            f();
          } catch {
            // ENOENT and the like: the model only checks page accounting.
          }
        };
        for (const o of ops) {
          if (o.kind === 'write') fdOf(o.file).write(new Uint8Array(o.len).fill(7), o.page * 4096);
          else if (o.kind === 'map') fdOf(o.file).mappablePage(o.page).fill(1);
          else if (o.kind === 'truncate') tryIt(() => vfs.truncateAt(ctx, `/f${o.file}`, o.size));
          else if (o.kind === 'rename') tryIt(() => vfs.renameAt(ctx, `/f${o.from}`, ctx, `/f${o.to}`, 0));
          else if (o.kind === 'unlink') tryIt(() => vfs.unlinkAt(ctx, `/f${o.file}`));
          else {
            open.get(o.file)?.decRef();
            open.delete(o.file);
          }
        }
        for (const fd of open.values()) fd.decRef();
        for (let i = 0; i < 3; i++) tryIt(() => vfs.unlinkAt(ctx, `/f${i}`));
        // Every file is gone: every page is back.
        expect(live.size).toBe(0);
      }),
    );
  });
});
