import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AT, CLONE, F, MAP, O, PROT, Signal, WAIT } from '@tvisor/abi';
import {
  decodeArg,
  formatAtFlags,
  formatClone,
  formatCloneFlags,
  formatFcntlCommand,
  formatMapFlags,
  formatOpenFlags,
  formatProt,
  formatSignal,
  formatWaitOptions,
  type RawArgs,
} from './strace-decode.js';

const SEED = { seed: 17 };

/** Syscall arguments as the registers would hold them. */
function args(...values: number[]): RawArgs {
  return {
    arg: (i) => values[i] ?? 0,
    argInt: (i) => (values[i] ?? 0) | 0,
    argUint: (i) => (values[i] ?? 0) >>> 0,
  };
}

/** Every name strace prints, back to its value (the decoder's inverse). */
function valueOf(text: string, tables: Record<string, Record<string, number>>): bigint {
  let v = 0n;
  for (const part of text.split('|')) {
    if (part.startsWith('0x')) {
      v |= BigInt(part);
      continue;
    }
    const found = Object.entries(tables).find(([prefix, t]) => part.startsWith(prefix) && part.slice(prefix.length) in t);
    if (!found) throw new Error(`unknown name ${part}`);
    v |= BigInt(found[1][part.slice(found[0].length)]);
  }
  return v;
}

describe('--strace decodes flags as strace(1) does', () => {
  it('open flags: the access mode, then the flags in bit order; composites by their own name', () => {
    expect(formatOpenFlags(O.RDONLY | O.CLOEXEC)).toBe('O_RDONLY|O_CLOEXEC');
    expect(formatOpenFlags(O.WRONLY | O.CREAT | O.TRUNC)).toBe('O_WRONLY|O_CREAT|O_TRUNC');
    expect(formatOpenFlags(O.RDWR | O.NONBLOCK | O.DIRECTORY)).toBe('O_RDWR|O_NONBLOCK|O_DIRECTORY');
    expect(formatOpenFlags(O.RDWR | O.SYNC)).toBe('O_RDWR|O_SYNC');
    expect(formatOpenFlags(O.RDWR | O.TMPFILE)).toBe('O_RDWR|O_TMPFILE');
    expect(formatOpenFlags(O.RDONLY | 0x40000000)).toBe('O_RDONLY|0x40000000');
  });

  it('open flags decode back to the value they came from (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x7fffffff }), (v) => {
        const text = formatOpenFlags(v);
        expect(valueOf(text, { O_: O })).toBe(BigInt(v));
      }),
      SEED,
    );
  });

  it('mmap prot and flags', () => {
    expect(formatProt(PROT.READ | PROT.WRITE)).toBe('PROT_READ|PROT_WRITE');
    expect(formatProt(PROT.NONE)).toBe('PROT_NONE');
    expect(formatProt(PROT.READ | PROT.EXEC)).toBe('PROT_READ|PROT_EXEC');
    expect(formatMapFlags(MAP.PRIVATE | MAP.ANONYMOUS)).toBe('MAP_PRIVATE|MAP_ANONYMOUS');
    expect(formatMapFlags(MAP.PRIVATE | MAP.FIXED | MAP.DENYWRITE)).toBe('MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE');
    expect(formatMapFlags(MAP.SHARED)).toBe('MAP_SHARED');
    expect(formatMapFlags(MAP.PRIVATE | MAP.ANONYMOUS | MAP.STACK | MAP.NORESERVE)).toBe('MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE|MAP_STACK');
  });

  it('mmap flags and prot decode back to their value (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: 0, max: 0x7fffffff }), (flags, prot) => {
        expect(valueOf(formatMapFlags(flags).replace(/^0$/, '0x0'), { MAP_: MAP })).toBe(BigInt(flags));
        expect(valueOf(formatProt(prot).replace(/^PROT_NONE$/, '0x0'), { PROT_: PROT })).toBe(BigInt(prot));
      }),
      SEED,
    );
  });

  it('signals, clone flags, fcntl commands, wait options, AT_ flags', () => {
    expect(formatSignal(Signal.SIGINT)).toBe('SIGINT');
    expect(formatSignal(0)).toBe('0');
    expect(formatSignal(Signal.SIGRTMIN + 2)).toBe('SIGRTMIN+2');
    expect(formatCloneFlags(CLONE.CHILD_CLEARTID | CLONE.CHILD_SETTID | Signal.SIGCHLD)).toBe('CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD');
    expect(formatCloneFlags(CLONE.VM | CLONE.VFORK | Signal.SIGCHLD)).toBe('CLONE_VM|CLONE_VFORK|SIGCHLD');
    expect(formatFcntlCommand(F.GETFL)).toBe('F_GETFL');
    expect(formatFcntlCommand(F.DUPFD_CLOEXEC)).toBe('F_DUPFD_CLOEXEC');
    expect(formatFcntlCommand(9999)).toBe('9999');
    expect(formatWaitOptions(0)).toBe('0');
    expect(formatWaitOptions(WAIT.NOHANG | WAIT.UNTRACED)).toBe('WNOHANG|WSTOPPED');
    expect(formatWaitOptions(WAIT.ALL | WAIT.NOHANG)).toBe('WNOHANG|__WALL');
    expect(formatWaitOptions(WAIT.EXITED | WAIT.STOPPED)).toBe('WSTOPPED|WEXITED');
    expect(formatAtFlags(AT.EMPTY_PATH)).toBe('AT_EMPTY_PATH');
    expect(formatAtFlags(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)).toBe('AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH');
  });

  it("per-syscall: open's mode only when creating, fcntl's third argument by command, mmap offset", () => {
    expect(decodeArg('openat', 2, args(0, 0, O.RDONLY))).toBe('O_RDONLY');
    expect(decodeArg('openat', 3, args(0, 0, O.RDONLY, 0o644))).toBeNull();
    expect(decodeArg('openat', 3, args(0, 0, O.WRONLY | O.CREAT, 0o644))).toBe('0644');
    expect(decodeArg('fcntl', 1, args(1, F.SETFD, 1))).toBe('F_SETFD');
    expect(decodeArg('fcntl', 2, args(1, F.SETFD, 1))).toBe('FD_CLOEXEC');
    expect(decodeArg('fcntl', 2, args(1, F.SETFL, O.RDWR | O.NONBLOCK))).toBe('O_RDWR|O_NONBLOCK');
    expect(decodeArg('fcntl', 2, args(1, F.GETFL, 0))).toBeNull();
    expect(decodeArg('mmap', 5, args(0, 0, 0, 0, 0, 0x26000))).toBe('0x26000');
    expect(decodeArg('mmap', 5, args(0, 0, 0, 0, 0, 0))).toBe('0');
    expect(decodeArg('kill', 1, args(5, Signal.SIGTERM))).toBe('SIGTERM');
    expect(decodeArg('unlinkat', 2, args(0, 0, AT.REMOVEDIR))).toBe('AT_REMOVEDIR');
    expect(decodeArg('faccessat2', 3, args(0, 0, 0, AT.EACCESS))).toBe('AT_EACCESS');
    expect(decodeArg('read', 0, args(3))).toBeUndefined();
  });

  it('clone as strace names its fields', () => {
    const flags = CLONE.CHILD_CLEARTID | CLONE.CHILD_SETTID | Signal.SIGCHLD;
    expect(formatClone(args(flags, 0, 0, 0x7f0000001a10, 0))).toBe(
      'clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f0000001a10)',
    );
  });
});
