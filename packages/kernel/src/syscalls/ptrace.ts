// ptrace(2) between sandboxed tasks (strace and gdb inside the sandbox):
// decoding requests and moving data; the links and stops live in ptrace/.
// Tracee memory is read and written through mm (the memory file), never
// through the host's ptrace.
import { AUDIT_ARCH_X86_64, Errno, NT, PTRACE, PTRACE_O, PTRACE_SYSCALL_INFO, Signal, SysError } from '@tvisor/abi';
import { REG } from '@tvisor/platform';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';
import { mayAccessProcess, yamaAllowsTraceme } from '../ptrace-access.js';
import { UNBLOCKABLE_MASK } from '../signals.js';
import { attach, detach, interruptTracee, NO_SIGINFO, resumeTracee, stepTracee, stopAttached } from '../ptrace/stops.js';
import { USER_FPREGS_SIZE, peekUser, pokeUser, regsBytes, setRegsFromBytes } from '../ptrace/user-area.js';
import type { ResumeMode } from '../ptrace/link.js';

const SIGINFO_SIZE = 128;
const WORD = 8;
/** sizeof(struct ptrace_syscall_info) on x86-64. */
const SYSCALL_INFO_SIZE = 88;

function u64(value: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
  return b;
}

function readU64(bytes: Uint8Array, at = 0): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(at, true);
}

/** PTRACE_TRACEME: the caller's parent becomes its tracer. */
function traceMe(t: Task): number {
  const parent = t.group.parent;
  if (t.ptrace || !parent || parent.exitStatus !== undefined) throw new SysError(Errno.EPERM);
  // The thread that forked the caller (another, if that one has exited).
  const forker = t.group.parentThread;
  const tracer = forker && !forker.exited && forker.group === parent ? forker : ([...parent.tasks].find((p) => p.tid === parent.pid) ?? [...parent.tasks][0]);
  if (!tracer || !yamaAllowsTraceme(tracer)) throw new SysError(Errno.EPERM);
  attach(t.kernel, tracer, t, false, 0);
  return 0;
}

/** PTRACE_ATTACH and PTRACE_SEIZE: the same uid (or CAP_SYS_PTRACE), never one's own process, never a traced thread. */
function attachTo(t: Task, req: number, pid: number, addr: number, data: number): number {
  const target = t.kernel.tasks.get(pid);
  if (!target || target.exited) throw new SysError(Errno.ESRCH);
  if (req === PTRACE.SEIZE) {
    if (addr !== 0 || data & ~PTRACE_O.MASK) throw new SysError(Errno.EIO);
  }
  if (target.group === t.group || target.ptrace || !mayAccessProcess(t, target.group)) throw new SysError(Errno.EPERM);
  if (req === PTRACE.SEIZE) {
    attach(t.kernel, t, target, true, data);
    return 0;
  }
  attach(t.kernel, t, target, false, 0);
  stopAttached(t.kernel, target);
  return 0;
}

/** The tracee `pid` of `t`, which must be in a ptrace-stop unless `running` is allowed (ESRCH otherwise, as Linux's ptrace_check_attach). */
function traceeOf(t: Task, pid: number, running = false): Task {
  const tracee = t.kernel.tasks.get(pid);
  if (!tracee || tracee.exited || tracee.ptrace?.tracer !== t) throw new SysError(Errno.ESRCH);
  // A tracee PTRACE_LISTEN let go is stopped, but not for its tracer to command.
  if (!running && (!tracee.ptrace.stop || tracee.ptrace.stop.listening)) throw new SysError(Errno.ESRCH);
  return tracee;
}

/** The signal a resume request delivers: 0 or a valid signal number (EIO otherwise). */
function resumeSignal(data: number): number {
  if (data < 0 || data > 64) throw new SysError(Errno.EIO);
  return data;
}

/** PTRACE_GETREGSET / SETREGSET: the register set `type` through the iovec at `iovAddr` (its length updated). */
function regSet(t: Task, tracee: Task, type: number, iovAddr: number, set: boolean): number {
  const iov = t.mm.copyIn(iovAddr, 16);
  const base = Number(readU64(iov, 0));
  const len = Number(readU64(iov, 8));
  let full: Uint8Array;
  switch (type) {
    case NT.PRSTATUS:
      full = regsBytes(tracee.regs);
      break;
    case NT.PRFPREG:
      full = tracee.context.getFpState().slice(0, USER_FPREGS_SIZE);
      break;
    case NT.X86_XSTATE:
      full = tracee.context.getFpState();
      break;
    default:
      throw new SysError(Errno.EINVAL);
  }
  const n = Math.min(len, full.length);
  if (set) {
    const bytes = full.slice();
    bytes.set(t.mm.copyIn(base, n));
    if (type === NT.PRSTATUS) setRegsFromBytes(tracee.regs, bytes);
    else writeFpState(tracee, bytes);
  } else {
    t.mm.copyOut(base, full.subarray(0, n));
  }
  t.mm.copyOut(iovAddr + 8, u64(BigInt(n)));
  return 0;
}

/** Replaces the start of the tracee's XSAVE image with `bytes` (FXSAVE part, or all of it). */
function writeFpState(tracee: Task, bytes: Uint8Array): void {
  const state = tracee.context.getFpState();
  state.set(bytes.subarray(0, state.length));
  tracee.context.setFpState(state);
}

/** PTRACE_GET_SYSCALL_INFO: what the tracee's current stop says about its syscall (struct ptrace_syscall_info). */
function syscallInfo(t: Task, tracee: Task, size: number, addr: number): number {
  const stop = tracee.ptrace!.stop!;
  const regs = tracee.regs;
  const info = new DataView(new ArrayBuffer(SYSCALL_INFO_SIZE));
  let end = 24;
  info.setUint32(4, AUDIT_ARCH_X86_64, true);
  info.setBigUint64(8, regs.getBig(REG.rip), true);
  info.setBigUint64(16, regs.getBig(REG.rsp), true);
  if (stop.kind === 'syscall-enter') {
    info.setUint8(0, PTRACE_SYSCALL_INFO.ENTRY);
    info.setBigUint64(24, regs.getBig(REG.orig_rax), true);
    for (let i = 0; i < 6; i++) info.setBigUint64(32 + i * 8, regs.argBig(i), true);
    end = 80;
  } else if (stop.kind === 'syscall-exit') {
    info.setUint8(0, PTRACE_SYSCALL_INFO.EXIT);
    const rval = regs.getSigned(REG.rax);
    info.setBigInt64(24, BigInt(rval), true);
    info.setUint8(32, rval < 0 && rval >= -4095 ? 1 : 0);
    end = 33;
  }
  const n = Math.min(size, end);
  if (n > 0) t.mm.copyOut(addr, new Uint8Array(info.buffer, 0, n));
  return end;
}

/** Reads or writes one word of the tracee's memory, as a debugger may (read-only text too): EIO where nothing is mapped. */
function traceeWord(tracee: Task, addr: number, write?: bigint): bigint {
  const buf = write === undefined ? new Uint8Array(WORD) : u64(write);
  let at = 0;
  try {
    tracee.mm.forEachBlock(
      addr,
      WORD,
      write !== undefined,
      (chunk) => {
        if (write === undefined) buf.set(chunk, at);
        else chunk.set(buf.subarray(at, at + chunk.length));
        at += chunk.length;
      },
      true,
    );
  } catch {
    throw new SysError(Errno.EIO);
  }
  if (write !== undefined) tracee.mm.addressSpace.flush();
  return readU64(buf);
}

function ptrace(t: Task, req: number, pid: number, addr: number, data: number, dataBig: bigint): number {
  switch (req) {
    case PTRACE.TRACEME:
      return traceMe(t);
    case PTRACE.ATTACH:
    case PTRACE.SEIZE:
      return attachTo(t, req, pid, addr, data);
    case PTRACE.KILL: {
      const tracee = traceeOf(t, pid, true);
      t.kernel.killGroup(tracee.group, Signal.SIGKILL);
      return 0;
    }
    case PTRACE.INTERRUPT: {
      const tracee = traceeOf(t, pid, true);
      if (!tracee.ptrace!.seized) throw new SysError(Errno.EIO);
      interruptTracee(t.kernel, tracee);
      return 0;
    }
    default:
      break;
  }
  const tracee = traceeOf(t, pid);
  const link = tracee.ptrace!;
  const stop = link.stop!;
  switch (req) {
    case PTRACE.PEEKTEXT:
    case PTRACE.PEEKDATA:
      t.mm.copyOut(data, u64(traceeWord(tracee, addr)));
      return 0;
    case PTRACE.POKETEXT:
    case PTRACE.POKEDATA:
      traceeWord(tracee, addr, dataBig);
      return 0;
    case PTRACE.PEEKUSER:
      t.mm.copyOut(data, u64(peekUser(tracee.regs, link.debugRegs, addr)));
      return 0;
    case PTRACE.POKEUSER:
      pokeUser(tracee.regs, link.debugRegs, addr, dataBig);
      return 0;
    case PTRACE.GETREGS:
      t.mm.copyOut(data, regsBytes(tracee.regs));
      return 0;
    case PTRACE.SETREGS:
      setRegsFromBytes(tracee.regs, t.mm.copyIn(data, regsBytes(tracee.regs).length));
      return 0;
    case PTRACE.GETFPREGS:
      t.mm.copyOut(data, tracee.context.getFpState().subarray(0, USER_FPREGS_SIZE));
      return 0;
    case PTRACE.SETFPREGS:
      writeFpState(tracee, t.mm.copyIn(data, USER_FPREGS_SIZE));
      return 0;
    case PTRACE.GETREGSET:
    case PTRACE.SETREGSET:
      return regSet(t, tracee, addr, data, req === PTRACE.SETREGSET);
    case PTRACE.GETSIGINFO:
      if (stop.siginfo === NO_SIGINFO) throw new SysError(Errno.EINVAL);
      t.mm.copyOut(data, stop.siginfo);
      return 0;
    case PTRACE.SETSIGINFO:
      if (stop.siginfo === NO_SIGINFO) throw new SysError(Errno.EINVAL);
      stop.siginfo = t.mm.copyIn(data, SIGINFO_SIZE);
      return 0;
    case PTRACE.GETSIGMASK:
      if (addr !== 8) throw new SysError(Errno.EINVAL);
      t.mm.copyOut(data, u64(tracee.blocked));
      return 0;
    case PTRACE.SETSIGMASK:
      if (addr !== 8) throw new SysError(Errno.EINVAL);
      tracee.blocked = readU64(t.mm.copyIn(data, 8)) & ~UNBLOCKABLE_MASK;
      return 0;
    case PTRACE.SETOPTIONS:
      if (data & ~PTRACE_O.MASK) throw new SysError(Errno.EINVAL);
      link.options = data;
      return 0;
    case PTRACE.GETEVENTMSG:
      t.mm.copyOut(data, u64(BigInt(link.eventMsg)));
      return 0;
    case PTRACE.GET_SYSCALL_INFO:
      return syscallInfo(t, tracee, addr, data);
    case PTRACE.CONT:
    case PTRACE.SYSCALL:
    case PTRACE.SYSEMU: {
      const sig = resumeSignal(data);
      const mode: ResumeMode = req === PTRACE.CONT ? 'cont' : req === PTRACE.SYSCALL ? 'syscall' : 'sysemu';
      resumeTracee(tracee, mode, sig);
      return 0;
    }
    case PTRACE.SINGLESTEP:
      stepTracee(tracee, resumeSignal(data));
      return 0;
    case PTRACE.LISTEN:
      // Only a seized tracee in a group-stop (a PTRACE_EVENT_STOP) may listen: it stays stopped, and its next change is reported.
      if (!link.seized || stop.kind !== 'group') throw new SysError(Errno.EIO);
      stop.listening = true;
      return 0;
    case PTRACE.DETACH:
      detach(tracee, resumeSignal(data));
      return 0;
    default:
      // SINGLEBLOCK, SYSEMU_SINGLESTEP, GET/SET_THREAD_AREA, ARCH_PRCTL, PEEKSIGINFO, the seccomp requests: not implemented.
      throw new SysError(Errno.EIO);
  }
}

/** ptrace(2). */
export function registerPtraceSyscalls(table: SyscallTable): void {
  table.register({
    ptrace: {
      args: ['int', 'int', 'ptr', 'ptr'],
      support: 'partial',
      note: 'between sandboxed tasks; no hardware breakpoints, SINGLEBLOCK or SYSEMU_SINGLESTEP (EIO)',
      handler: (t, a) => ptrace(t, a.argInt(0), a.argInt(1), a.arg(2), a.arg(3), a.argBig(3)),
    },
  });
}
