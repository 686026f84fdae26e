import { AT, CLONE, CSIGNAL, F, FD, MAP, O, P, PROT, SIG_HOW, WAIT, signalName } from '@tvisor/abi';

/**
 * Symbolic decoding of syscall arguments for `--strace`, rendered as
 * strace(1) renders them (`O_RDONLY|O_CLOEXEC`, `PROT_READ|PROT_WRITE`,
 * `SIGINT`, `F_GETFL`). Every table is built from `@tvisor/abi` constants.
 */

/** One flag table: names with their bits, matched in order (composites first), shown by their lowest bit. */
export type FlagTable = ReadonlyArray<readonly [string, bigint]>;

/** Builds a flag table from an abi constant object; `prefix` is prepended to each key, `skip` keys are left out. */
function flagTable(values: Record<string, number>, prefix: string, skip: readonly string[] = []): FlagTable {
  const seen = new Set<number>();
  const rows: Array<readonly [string, bigint]> = [];
  for (const [key, value] of Object.entries(values)) {
    if (skip.includes(key) || value === 0 || seen.has(value)) continue;
    seen.add(value);
    rows.push([prefix + key, BigInt(value)]);
  }
  // Composites (O_SYNC holds O_DSYNC's bit, O_TMPFILE O_DIRECTORY's) are tried before their parts.
  const bits = (v: bigint) => v.toString(2).replace(/0/g, '').length;
  return rows.sort((a, b) => bits(b[1]) - bits(a[1]));
}

/** `A|B|0x40` as strace prints a flag word: known names, then the unknown bits in hex; `zero` when nothing is set. */
export function formatFlags(value: number | bigint, table: FlagTable, zero = '0'): string {
  let rest = BigInt(value);
  const found: Array<readonly [string, bigint]> = [];
  for (const [name, bits] of table) {
    if ((rest & bits) === bits) {
      found.push([name, bits]);
      rest &= ~bits;
    }
  }
  const low = (v: bigint) => v & -v;
  const names = found.sort((a, b) => (low(a[1]) < low(b[1]) ? -1 : low(a[1]) > low(b[1]) ? 1 : 0)).map(([n]) => n);
  if (rest !== 0n) names.push('0x' + rest.toString(16));
  return names.length ? names.join('|') : zero;
}

/** `NAME` for a value that is one of a set (a command, a mode), else the number itself. */
function formatEnum(value: number, names: ReadonlyMap<number, string>): string {
  return names.get(value) ?? String(value);
}

function enumNames(values: Record<string, number>, prefix: string, keys?: readonly string[]): Map<number, string> {
  const m = new Map<number, string>();
  for (const [key, value] of Object.entries(values)) if ((!keys || keys.includes(key)) && !m.has(value)) m.set(value, prefix + key);
  return m;
}

const OPEN_FLAGS = flagTable(O, 'O_', ['RDONLY', 'WRONLY', 'RDWR', 'ACCMODE', 'NDELAY']);
const ACCESS_MODES = enumNames(O, 'O_', ['RDONLY', 'WRONLY', 'RDWR', 'ACCMODE']);
const PROT_FLAGS = flagTable(PROT, 'PROT_', ['NONE']);
const MAP_TYPES = enumNames(MAP, 'MAP_', ['SHARED', 'PRIVATE', 'SHARED_VALIDATE']);
const MAP_FLAGS = flagTable(MAP, 'MAP_', ['SHARED', 'PRIVATE', 'SHARED_VALIDATE', 'TYPE']);
const CLONE_FLAGS = flagTable(CLONE, 'CLONE_');
const WAIT_KERNEL_FLAGS = flagTable({ NOTHREAD: WAIT.NOTHREAD, ALL: WAIT.ALL, CLONE: WAIT.CLONE }, '__W');
// strace names bit 2 WSTOPPED for wait4 and waitid alike.
const WAIT_FLAGS = flagTable({ NOHANG: WAIT.NOHANG, STOPPED: WAIT.STOPPED, EXITED: WAIT.EXITED, CONTINUED: WAIT.CONTINUED, NOWAIT: WAIT.NOWAIT }, 'W');
const ID_TYPES = enumNames(P, 'P_');
const AT_FLAGS = flagTable(AT, 'AT_', ['FDCWD', 'EACCESS', 'REMOVEDIR', 'STATX_SYNC_TYPE', 'STATX_SYNC_AS_STAT']);
const FACCESSAT_FLAGS = flagTable({ ...AT, REMOVEDIR: 0 }, 'AT_', ['FDCWD', 'REMOVEDIR', 'STATX_SYNC_TYPE', 'STATX_SYNC_AS_STAT']);
const UNLINKAT_FLAGS = flagTable({ REMOVEDIR: AT.REMOVEDIR }, 'AT_');
const FCNTL_COMMANDS = enumNames(
  F,
  'F_',
  Object.keys(F).filter((k) => !/^(RDLCK|WRLCK|UNLCK|SEAL_)/.test(k)),
);
const FD_FLAGS = flagTable(FD, 'FD_');
const SIGPROCMASK_HOW = enumNames(SIG_HOW, 'SIG_');

/** open(2) flags: the access mode, then the other flags. */
export function formatOpenFlags(value: number): string {
  const mode = formatEnum(value & O.ACCMODE, ACCESS_MODES);
  const rest = formatFlags(value & ~O.ACCMODE, OPEN_FLAGS, '');
  return rest ? `${mode}|${rest}` : mode;
}

/** Flags of pipe2, dup3 and the like: open flags without an access mode. */
export function formatFdFlags(value: number): string {
  return formatFlags(value, OPEN_FLAGS);
}

export function formatProt(value: number): string {
  return formatFlags(value, PROT_FLAGS, 'PROT_NONE');
}

/** mmap(2) flags: the mapping type, then the other flags. */
export function formatMapFlags(value: number): string {
  const typeBits = value & MAP.TYPE;
  const type = typeBits === 0 ? '' : (MAP_TYPES.get(typeBits) ?? '0x' + typeBits.toString(16));
  const rest = formatFlags(value & ~MAP.TYPE, MAP_FLAGS, '');
  return [type, rest].filter(Boolean).join('|') || '0';
}

/** A signal number as its name; 0 (the existence check of kill) stays 0. */
export function formatSignal(value: number): string {
  return value === 0 ? '0' : signalName(value);
}

/** clone(2) flags: CLONE_* then the exit signal in the low byte. */
export function formatCloneFlags(value: number | bigint): string {
  const v = BigInt(value);
  const sig = Number(v & BigInt(CSIGNAL));
  const flags = formatFlags(v & ~BigInt(CSIGNAL), CLONE_FLAGS, '');
  const parts = [flags, sig ? formatSignal(sig) : ''].filter(Boolean);
  return parts.length ? parts.join('|') : '0';
}

export function formatWaitOptions(value: number): string {
  const kernelBits = BigInt(WAIT.NOTHREAD | WAIT.ALL) | BigInt(WAIT.CLONE);
  const v = BigInt(value >>> 0);
  const user = formatFlags(v & ~kernelBits, WAIT_FLAGS, '');
  const kernel = formatFlags(v & kernelBits, WAIT_KERNEL_FLAGS, '');
  return [user, kernel].filter(Boolean).join('|') || '0';
}

export function formatFcntlCommand(value: number): string {
  return formatEnum(value, FCNTL_COMMANDS);
}

export function formatAtFlags(value: number): string {
  return formatFlags(value >>> 0, AT_FLAGS);
}

/** How each argument of a syscall is read: `arg(i)` unsigned 64-bit, `int(i)` a C int. */
export interface RawArgs {
  arg(i: number): number;
  argInt(i: number): number;
  argUint(i: number): number;
}

/** A symbolic rendering of argument i, `null` to leave it out (strace omits e.g. open's mode without O_CREAT), or undefined for the generic rendering. */
type ArgDecoder = (a: RawArgs, i: number) => string | null | undefined;

const openFlags: ArgDecoder = (a, i) => formatOpenFlags(a.argInt(i));
const fdFlags: ArgDecoder = (a, i) => formatFdFlags(a.argInt(i));
const prot: ArgDecoder = (a, i) => formatProt(a.argInt(i));
const signal: ArgDecoder = (a, i) => formatSignal(a.argInt(i));
const atFlags: ArgDecoder = (a, i) => formatAtFlags(a.argInt(i));
const hexOrZero: ArgDecoder = (a, i) => (a.arg(i) === 0 ? '0' : '0x' + a.arg(i).toString(16));
/** open's mode is only meaningful (and only shown) when the call may create a file. */
const modeIfCreating =
  (flagsArg: number): ArgDecoder =>
  (a, i) =>
    (a.argInt(flagsArg) & O.CREAT) !== 0 || (a.argInt(flagsArg) & O.TMPFILE) === O.TMPFILE ? '0' + a.argUint(i).toString(8).padStart(3, '0') : null;

const fcntlArg: ArgDecoder = (a, i) => {
  switch (a.argInt(1)) {
    case F.SETFD:
      return formatFlags(a.argInt(i), FD_FLAGS);
    case F.SETFL:
      return formatOpenFlags(a.argInt(i));
    case F.DUPFD:
    case F.DUPFD_CLOEXEC:
    case F.SETOWN:
    case F.SETSIG:
    case F.SETPIPE_SZ:
    case F.SETLEASE:
      return String(a.argInt(i));
    case F.GETFD:
    case F.GETFL:
    case F.GETOWN:
    case F.GETSIG:
    case F.GETPIPE_SZ:
    case F.GETLEASE:
    case F.GET_SEALS:
      return null;
    default:
      return undefined;
  }
};

/** Per-syscall decoders by argument index, for the arguments strace shows symbolically. */
const DECODERS: Readonly<Record<string, Readonly<Record<number, ArgDecoder>>>> = {
  open: { 1: openFlags, 2: modeIfCreating(1) },
  openat: { 2: openFlags, 3: modeIfCreating(2) },
  mmap: { 2: prot, 3: (a, i) => formatMapFlags(a.argInt(i)), 5: hexOrZero },
  mprotect: { 2: prot },
  pkey_mprotect: { 2: prot },
  kill: { 1: signal },
  tkill: { 1: signal },
  tgkill: { 2: signal },
  rt_sigaction: { 0: signal },
  rt_sigqueueinfo: { 1: signal },
  rt_tgsigqueueinfo: { 2: signal },
  pidfd_send_signal: { 1: signal },
  rt_sigprocmask: { 0: (a, i) => formatEnum(a.argInt(i), SIGPROCMASK_HOW) },
  fcntl: { 1: (a, i) => formatFcntlCommand(a.argInt(i)), 2: fcntlArg },
  wait4: { 2: (a, i) => formatWaitOptions(a.argInt(i)) },
  waitid: { 0: (a, i) => formatEnum(a.argInt(i), ID_TYPES), 3: (a, i) => formatWaitOptions(a.argInt(i)) },
  pipe2: { 1: fdFlags },
  dup3: { 2: fdFlags },
  eventfd2: { 1: fdFlags },
  signalfd4: { 3: fdFlags },
  inotify_init1: { 0: fdFlags },
  epoll_create1: { 0: fdFlags },
  newfstatat: { 3: atFlags },
  statx: { 2: atFlags },
  fchownat: { 4: atFlags },
  linkat: { 4: atFlags },
  utimensat: { 3: atFlags },
  execveat: { 4: atFlags },
  fchmodat2: { 3: atFlags },
  faccessat2: { 3: (a, i) => formatFlags(a.argInt(i) >>> 0, FACCESSAT_FLAGS) },
  unlinkat: { 2: (a, i) => formatFlags(a.argInt(i) >>> 0, UNLINKAT_FLAGS) },
};

/** The symbolic rendering of argument `i` of syscall `name`: a string, `null` to omit it, undefined when it has none. */
export function decodeArg(name: string, i: number, args: RawArgs): string | null | undefined {
  return DECODERS[name]?.[i]?.(args, i);
}

/**
 * clone(2) as strace shows it: named fields, those the flags make
 * meaningful only (x86-64 order: flags, stack, parent_tid, child_tid, tls).
 */
export function formatClone(a: RawArgs): string {
  const ptr = (i: number) => (a.arg(i) === 0 ? 'NULL' : '0x' + a.arg(i).toString(16));
  const flags = a.arg(0);
  const has = (bit: number) => (BigInt(flags) & BigInt(bit)) !== 0n;
  const parts = [`child_stack=${ptr(1)}`, `flags=${formatCloneFlags(flags)}`];
  if (has(CLONE.PARENT_SETTID) || has(CLONE.PIDFD)) parts.push(`parent_tid=${ptr(2)}`);
  if (has(CLONE.CHILD_SETTID) || has(CLONE.CHILD_CLEARTID)) parts.push(`child_tidptr=${ptr(3)}`);
  if (has(CLONE.SETTLS)) parts.push(`tls=${ptr(4)}`);
  return `clone(${parts.join(', ')})`;
}
