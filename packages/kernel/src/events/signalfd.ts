import { Errno, POLL, Signal, siginfoLayout, SysError } from '@tvisor/abi';
import { type FileDescription, type ReadinessCallback } from '@tvisor/vfs';
import type { ThreadGroup } from '../task.js';
import { anonFile, anonInode, RecordStreamImpl } from './anon-inode.js';
import { RecordReader } from './record-reader.js';

const BUS_MCEERR_AR = 4;
const BUS_MCEERR_AO = 5;

/** sizeof(struct signalfd_siginfo). */
export const SIGNALFD_SIGINFO_SIZE = 128;

/**
 * Converts a siginfo_t (128 bytes as the kernel queues it) to the struct
 * signalfd_siginfo read(2) returns, filling the fields of the union member
 * the (signal, code) pair uses, as Linux's signalfd_copyinfo does.
 */
export function signalfdSiginfo(info: Uint8Array): Uint8Array {
  const src = new DataView(info.buffer, info.byteOffset, info.byteLength);
  const out = new Uint8Array(SIGNALFD_SIGINFO_SIZE);
  const o = new DataView(out.buffer);
  const signo = src.getInt32(0, true);
  const code = src.getInt32(8, true);
  o.setUint32(0, signo, true); // ssi_signo
  o.setInt32(4, src.getInt32(4, true), true); // ssi_errno
  o.setInt32(8, code, true); // ssi_code
  switch (siginfoLayout(signo, code)) {
    case 'kill':
      o.setUint32(12, src.getInt32(16, true), true); // ssi_pid
      o.setUint32(16, src.getUint32(20, true), true); // ssi_uid
      break;
    case 'timer':
      o.setUint32(24, src.getInt32(16, true), true); // ssi_tid
      o.setUint32(32, src.getInt32(20, true), true); // ssi_overrun
      o.setBigUint64(48, src.getBigUint64(24, true), true); // ssi_ptr
      o.setInt32(44, src.getInt32(24, true), true); // ssi_int
      break;
    case 'poll':
      o.setUint32(28, Number(src.getBigInt64(16, true) & 0xffffffffn), true); // ssi_band
      o.setInt32(20, src.getInt32(24, true), true); // ssi_fd
      break;
    case 'fault':
      o.setBigUint64(72, src.getBigUint64(16, true), true); // ssi_addr
      // SIGBUS's BUS_MCEERR_AR/AO carry the address's lsb (SIL_FAULT_MCEERR).
      if (signo === Signal.SIGBUS && (code === BUS_MCEERR_AR || code === BUS_MCEERR_AO)) o.setInt16(80, src.getInt16(24, true), true);
      break;
    case 'chld':
      o.setUint32(12, src.getInt32(16, true), true); // ssi_pid
      o.setUint32(16, src.getUint32(20, true), true); // ssi_uid
      o.setInt32(40, src.getInt32(24, true), true); // ssi_status
      o.setBigUint64(56, src.getBigUint64(32, true), true); // ssi_utime
      o.setBigUint64(64, src.getBigUint64(40, true), true); // ssi_stime
      break;
    case 'sys':
      o.setBigUint64(88, src.getBigUint64(16, true), true); // ssi_call_addr
      o.setInt32(84, src.getInt32(24, true), true); // ssi_syscall
      o.setUint32(96, src.getUint32(28, true), true); // ssi_arch
      break;
    case 'rt':
    default:
      o.setUint32(12, src.getInt32(16, true), true); // ssi_pid
      o.setUint32(16, src.getUint32(20, true), true); // ssi_uid
      o.setBigUint64(48, src.getBigUint64(24, true), true); // ssi_ptr
      o.setInt32(44, src.getInt32(24, true), true); // ssi_int
      break;
  }
  return out;
}

/**
 * A signalfd (signalfd(2)): reading it dequeues pending signals in its mask
 * (they must be blocked to stay pending) as signalfd_siginfo records. Like
 * Linux, it reads the signals of the process using it (see `group`):
 * `currentGroup` gives the process whose syscall is being served.
 */
export class SignalFdImpl extends RecordStreamImpl {
  private readonly records = new RecordReader({ fixedSize: SIGNALFD_SIGINFO_SIZE });

  constructor(
    public mask: bigint,
    private readonly creator: ThreadGroup,
    private readonly currentGroup: () => ThreadGroup | undefined,
  ) {
    super(anonInode());
  }

  /** The process a wakeup callback runs on behalf of (see subscribe). */
  private waking: ThreadGroup | undefined;

  /**
   * Whose signals to read: the subscriber's during a wakeup; else the
   * process being served if it holds this file (another process's syscall
   * may be what runs a poll check); else the creator's.
   */
  private group(file: FileDescription): ThreadGroup {
    if (this.waking) return this.waking;
    const current = this.currentGroup();
    if (current && current !== this.creator && current.fds.fds().some((fd) => current.fds.get(fd) === file)) return current;
    return this.creator;
  }

  /** Replaces the mask (signalfd4 on an existing signalfd) and wakes waiters that may now see signals. */
  setMask(file: FileDescription, mask: bigint): void {
    this.mask = mask;
    for (const wake of [...this.group(file).signalWaiters]) wake();
  }

  override read(fd: FileDescription, dst: Uint8Array): number {
    const signals = this.group(fd).signals;
    return this.records.read(
      dst,
      () => (signals.next(~this.mask) !== 0 ? SIGNALFD_SIGINFO_SIZE : undefined),
      () => {
        const sig = signals.next(~this.mask);
        const info = signals.dequeue(sig);
        if (!info) throw new SysError(Errno.EAGAIN);
        return signalfdSiginfo(info);
      },
    );
  }

  override readiness(fd: FileDescription, mask: number): number {
    const ready = this.records.hasCarry || (this.group(fd).signals.pending & this.mask) !== 0n;
    return ready ? mask & (POLL.IN | POLL.RDNORM) : 0;
  }

  /** Waiters hear of every signal queued for the process (ThreadGroup.signalWaiters) and re-check. */
  override subscribe(fd: FileDescription, mask: number, cb: ReadinessCallback): () => void {
    if (!(mask & (POLL.IN | POLL.RDNORM))) return () => {};
    // The subscriber is the process whose syscall is being served now; its
    // callback runs later inside the sender's syscall, so the reads and
    // readiness checks it makes must still look at the subscriber's signals.
    const group = this.group(fd);
    const waiters = group.signalWaiters;
    const wake = () => {
      const outer = this.waking;
      this.waking = group;
      try {
        cb(POLL.IN | POLL.RDNORM);
      } finally {
        this.waking = outer;
      }
    };
    waiters.add(wake);
    return () => {
      waiters.delete(wake);
    };
  }
}

/** A new signalfd description (`anon_inode:[signalfd]`); the caller owns its reference. */
export function createSignalFd(impl: SignalFdImpl, statusFlags: number): FileDescription {
  return anonFile('[signalfd]', impl, statusFlags);
}
