// clone3(2): clone with its arguments in a versioned struct clone_args.
import { CAP, CLONE, CLONE_ARGS_SIZE, CSIGNAL, Errno, NSIG, PAGE_SIZE, SysError } from '@tvisor/abi';
import { hasCapability } from '../credentials.js';
import { cloneProcess } from '../clone.js';
import { installPidFd } from './pidfd.js';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';

/** The largest struct clone_args clone3 reads (the rest must be zero): a page, as Linux allows. */
const CLONE_ARGS_MAX = PAGE_SIZE;
/** set_tid holds at most one pid per PID namespace level (MAX_PID_NS_LEVEL). */
const MAX_PID_NS_LEVEL = 32;
/** The flags clone(2) knows, as 64-bit values (clone3 refuses any other). */
const LEGACY_FLAGS = 0xffff_ffffn;
const CLEAR_SIGHAND = BigInt(CLONE.CLEAR_SIGHAND);
const INTO_CGROUP = BigInt(CLONE.INTO_CGROUP);

interface CloneArgs {
  flags: bigint;
  pidfd: number;
  childTid: number;
  parentTid: number;
  exitSignal: bigint;
  stack: number;
  stackSize: number;
  tls: number;
  setTid: number;
  setTidSize: bigint;
  cgroup: bigint;
}

/** Reads struct clone_args of `size` bytes: EINVAL below the first version, E2BIG past a page or for non-zero bytes we do not know. */
function readCloneArgs(t: Task, addr: number, size: number): CloneArgs {
  if (size > CLONE_ARGS_MAX) throw new SysError(Errno.E2BIG);
  if (size < CLONE_ARGS_SIZE.VER0) throw new SysError(Errno.EINVAL);
  const raw = t.mm.copyIn(addr, size);
  if (raw.subarray(CLONE_ARGS_SIZE.VER2).some((b) => b !== 0)) throw new SysError(Errno.E2BIG);
  const bytes = new Uint8Array(CLONE_ARGS_SIZE.VER2);
  bytes.set(raw.subarray(0, CLONE_ARGS_SIZE.VER2));
  const v = new DataView(bytes.buffer);
  const u64 = (i: number): bigint => v.getBigUint64(i * 8, true);
  const addrAt = (i: number): number => Number(u64(i));
  return {
    flags: u64(0),
    pidfd: addrAt(1),
    childTid: addrAt(2),
    parentTid: addrAt(3),
    exitSignal: u64(4),
    stack: addrAt(5),
    stackSize: addrAt(6),
    tls: addrAt(7),
    setTid: addrAt(8),
    setTidSize: u64(9),
    cgroup: u64(10),
  };
}

/** clone3_args_valid and the checks Linux makes before copying a process, in its order. */
function validate(args: CloneArgs, size: number): void {
  const { flags } = args;
  if (flags & ~(LEGACY_FLAGS | CLEAR_SIGHAND | INTO_CGROUP)) throw new SysError(Errno.EINVAL);
  const low = Number(flags & LEGACY_FLAGS);
  // The exit signal has its own field: CSIGNAL bits (but CLONE_NEWTIME) and CLONE_DETACHED are refused.
  if (low & (CLONE.DETACHED | (CSIGNAL & ~CLONE.NEWTIME))) throw new SysError(Errno.EINVAL);
  if (flags & CLEAR_SIGHAND && low & CLONE.SIGHAND) throw new SysError(Errno.EINVAL);
  if (low & (CLONE.THREAD | CLONE.PARENT) && args.exitSignal !== 0n) throw new SysError(Errno.EINVAL);
  if (args.exitSignal > BigInt(NSIG)) throw new SysError(Errno.EINVAL);
  if (args.setTidSize > BigInt(MAX_PID_NS_LEVEL)) throw new SysError(Errno.EINVAL);
  if ((args.setTid === 0) !== (args.setTidSize === 0n)) throw new SysError(Errno.EINVAL);
  if ((args.stack === 0) !== (args.stackSize === 0)) throw new SysError(Errno.EINVAL);
  if (flags & INTO_CGROUP && (size < CLONE_ARGS_SIZE.VER2 || args.cgroup > 0x7fff_ffffn)) throw new SysError(Errno.EINVAL);
  if (low & CLONE.PIDFD && low & CLONE.THREAD) throw new SysError(Errno.EINVAL);
}

function clone3(t: Task, addr: number, size: number): number {
  const args = readCloneArgs(t, addr, size);
  validate(args, size);
  const low = Number(args.flags & LEGACY_FLAGS);
  // Processes here are in no cgroup a file descriptor could name.
  if (args.flags & INTO_CGROUP) throw new SysError(Errno.EBADF);
  let tid: number | undefined;
  if (args.setTid !== 0) {
    // Nested PID namespaces do not exist here: only the innermost pid can be chosen.
    if (args.setTidSize !== 1n) throw new SysError(Errno.EINVAL);
    const v = new DataView(t.mm.copyIn(args.setTid, 4).buffer);
    tid = v.getInt32(0, true);
    if (tid <= 0) throw new SysError(Errno.EINVAL);
    if (!hasCapability(t.creds, CAP.SYS_ADMIN)) throw new SysError(Errno.EPERM);
  }
  // The pidfd's address must be writable before a child exists (EFAULT, no child).
  if (low & CLONE.PIDFD) t.mm.forEachBlock(args.pidfd, 4, true, () => {});
  return cloneProcess(t, low, args.stack === 0 ? 0 : args.stack + args.stackSize, args.parentTid, args.childTid, args.tls, {
    exitSignal: Number(args.exitSignal),
    tid,
    clearSighand: (args.flags & CLEAR_SIGHAND) !== 0n,
    onCreated: (child) => {
      if (!(low & CLONE.PIDFD)) return;
      const fd = installPidFd(t, child);
      const out = new Uint8Array(4);
      new DataView(out.buffer).setInt32(0, fd, true);
      t.mm.copyOut(args.pidfd, out);
    },
  });
}

/** clone3(2). */
export function registerClone3Syscalls(table: SyscallTable): void {
  table.register({
    clone3: {
      args: ['ptr', 'uint'],
      support: 'partial',
      note: 'no namespaces; CLONE_INTO_CGROUP is refused (EBADF: no cgroup fds); set_tid of one level only',
      handler: (t, a) => clone3(t, a.arg(0), a.arg(1)),
    },
  });
}
