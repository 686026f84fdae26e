import { AUXV, Errno, SysError } from '@tvisor/abi';
import { DEFAULT_STACK_RLIMIT, MAX_ARG_STRLEN, PAGE_SIZE } from './elf-constants.js';
import type { AuxvEntry } from './load-program.js';

/** A C string argument: JS strings are UTF-8 encoded; bytes are taken as is (no NUL inside). */
export type ArgString = string | Uint8Array;

export interface InitialStackOptions {
  /** Highest stack address (exclusive); the bytes end exactly here. */
  stackTop: number;
  argv: readonly ArgString[];
  envp: readonly ArgString[];
  /**
   * The kernel's auxv entries, without AT_NULL. AT_RANDOM, AT_EXECFN and
   * AT_PLATFORM are filled in by the builder: entries of those types given
   * here keep their position but get the right value; missing ones are appended.
   */
  auxv: readonly AuxvEntry[];
  /** The path execve was called with (AT_EXECFN). */
  execfn: ArgString;
  platform: 'x86_64';
  /** The 16 bytes AT_RANDOM points at. */
  random: Uint8Array;
  /** RLIMIT_STACK soft limit; argv+envp may use a quarter of it. Default 8 MiB. */
  stackRlimit?: number;
}

export interface InitialStack {
  /** The stack contents, to be copied to `sp` (= stackTop - bytes.length). */
  bytes: Uint8Array;
  /** Initial %rsp: 16-byte aligned, pointing at argc. */
  sp: number;
  /** [start, end) of the argv strings (mm's arg_start/arg_end, /proc/pid/cmdline). */
  argStart: number;
  argEnd: number;
  /** [start, end) of the envp strings (env_start/env_end, /proc/pid/environ). */
  envStart: number;
  envEnd: number;
  /** The auxv as written, AT_NULL excluded (/proc/pid/auxv, getauxval). */
  auxv: AuxvEntry[];
}

/** 6 MiB: the most argv+envp may take however large the stack rlimit (_STK_LIM / 4 * 3). */
const MAX_ARG_SPACE = 6 * 1024 * 1024;
/** 128 KiB: the least argv+envp may always take (ARG_MAX). */
const MIN_ARG_SPACE = 32 * PAGE_SIZE;
const WORD = 8;

/**
 * Lays out a new process stack exactly as Linux x86-64 execve does, ASLR
 * disabled. From the top down: an 8-byte zero word, the execfn string, the
 * envp strings, the argv strings (each list in order, ascending), 16-byte
 * alignment, the platform string, the 16 AT_RANDOM bytes, then — rounded so
 * that sp is 16-byte aligned — argc, argv pointers, NULL, envp pointers,
 * NULL, auxv pairs and AT_NULL.
 * Throws SysError(E2BIG) when a string is longer than MAX_ARG_STRLEN or the
 * strings and pointers exceed the argument space the stack rlimit allows.
 */
export function buildInitialStack(options: InitialStackOptions): InitialStack {
  const { stackTop } = options;
  if (!Number.isSafeInteger(stackTop) || stackTop % 16 !== 0) throw new SysError(Errno.EINVAL, 'stack top must be 16-byte aligned');
  if (options.random.length !== 16) throw new SysError(Errno.EINVAL, 'AT_RANDOM needs 16 bytes');
  const argv = options.argv.map(cString);
  const envp = options.envp.map(cString);
  const execfn = cString(options.execfn);
  const platform = cString(options.platform);
  checkArgSpace(argv, envp, execfn, options.stackRlimit ?? DEFAULT_STACK_RLIMIT);

  // Strings, placed downward from just below the top zero word.
  let p = stackTop - WORD;
  const placed: { addr: number; bytes: Uint8Array }[] = [];
  const place = (bytes: Uint8Array): number => {
    p -= bytes.length;
    placed.push({ addr: p, bytes });
    return p;
  };
  const execfnAddr = place(execfn);
  const envEnd = p;
  const envAddrs = placeListDescending(envp, place);
  const envStart = p;
  const argEnd = p;
  const argAddrs = placeListDescending(argv, place);
  const argStart = p;
  p -= p % 16;
  const platformAddr = place(platform);
  const randomAddr = place(options.random);

  const auxv = completeAuxv(options.auxv, randomAddr, execfnAddr, platformAddr);
  const words = 1 + argv.length + 1 + envp.length + 1 + (auxv.length + 1) * 2;
  const sp = roundDown16(p - words * WORD);

  const bytes = new Uint8Array(stackTop - sp);
  for (const s of placed) bytes.set(s.bytes, s.addr - sp);
  const view = new DataView(bytes.buffer);
  let at = 0;
  const put = (value: number): void => {
    view.setBigUint64(at, BigInt(value), true);
    at += WORD;
  };
  put(argv.length);
  for (const a of argAddrs) put(a);
  put(0);
  for (const e of envAddrs) put(e);
  put(0);
  for (const [type, value] of auxv) {
    put(type);
    put(value);
  }
  put(AUXV.NULL);
  put(0);
  return { bytes, sp, argStart, argEnd, envStart, envEnd, auxv };
}

/** Places the strings so they end up in list order, ascending; returns their addresses in list order. */
function placeListDescending(list: Uint8Array[], place: (bytes: Uint8Array) => number): number[] {
  const addrs = new Array<number>(list.length);
  for (let i = list.length - 1; i >= 0; i--) addrs[i] = place(list[i]);
  return addrs;
}

/** NUL-terminated bytes of a string argument; E2BIG past MAX_ARG_STRLEN. */
function cString(s: ArgString): Uint8Array {
  const raw = typeof s === 'string' ? new TextEncoder().encode(s) : s;
  if (raw.indexOf(0) !== -1) throw new SysError(Errno.EINVAL, 'argument string contains NUL');
  if (raw.length + 1 > MAX_ARG_STRLEN) throw new SysError(Errno.E2BIG, 'argument string longer than MAX_ARG_STRLEN');
  const out = new Uint8Array(raw.length + 1);
  out.set(raw);
  return out;
}

/**
 * execve's argument budget: a quarter of the stack rlimit, clamped to
 * [128 KiB, 6 MiB], must hold the argv and envp pointers (argc counted as at
 * least 1) and every string including execfn.
 */
function checkArgSpace(argv: Uint8Array[], envp: Uint8Array[], execfn: Uint8Array, rlimit: number): void {
  const limit = Math.max(Math.min(MAX_ARG_SPACE, Math.floor(rlimit / 4)), MIN_ARG_SPACE);
  const pointers = (Math.max(argv.length, 1) + envp.length) * WORD;
  let strings = execfn.length;
  for (const s of argv) strings += s.length;
  for (const s of envp) strings += s.length;
  if (pointers >= limit || strings > limit - pointers) throw new SysError(Errno.E2BIG, 'argument list too long');
}

function completeAuxv(given: readonly AuxvEntry[], random: number, execfn: number, platform: number): AuxvEntry[] {
  const filled = new Map<number, number>([
    [AUXV.RANDOM, random],
    [AUXV.EXECFN, execfn],
    [AUXV.PLATFORM, platform],
  ]);
  const out: AuxvEntry[] = [];
  for (const [type, value] of given) {
    if (type === AUXV.NULL) throw new SysError(Errno.EINVAL, 'AT_NULL inside auxv');
    out.push([type, filled.get(type) ?? value]);
  }
  for (const [type, value] of filled) if (!given.some(([t]) => t === type)) out.push([type, value]);
  return out;
}

function roundDown16(n: number): number {
  return n - (n % 16);
}
