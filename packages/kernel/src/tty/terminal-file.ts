import {
  CAP,
  decodeStruct,
  encodeStruct,
  Errno,
  FIO,
  LFLAG,
  O,
  Signal,
  type StructCodec,
  SysError,
  TC,
  TCFLUSH,
  Termios,
  Termios2,
  TIOC,
  TIOCPKT_STATUS,
  V,
  Winsize,
} from '@tvisor/abi';
import { FileImplBase, type FileDescription, type Inode, type ReadinessCallback } from '@tvisor/vfs';
import type { Task } from '../task.js';
import type { Terminal } from './terminal.js';
import { hasCapability } from '../credentials.js';

/**
 * The two ends of a terminal as open files. The replica (/dev/pts/N, the
 * console) is where applications read typed input and write output; the
 * master (/dev/ptmx) is the other side of a pty. Reads that find nothing
 * say EAGAIN and the syscall layer parks the task on `subscribe`.
 */

function u32(task: Task, arg: number): number {
  return new DataView(task.mm.copyIn(arg, 4).buffer).getInt32(0, true);
}

function putU32(task: Task, arg: number, v: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  task.mm.copyOut(arg, b);
}

function decode<T>(task: Task, arg: number, codec: StructCodec<T>): T {
  return decodeStruct(codec, task.mm.copyIn(arg, codec.size));
}

/** Requests that change the terminal: a background process asking them gets SIGTTOU (tty_check_change). */
const CHANGING = new Set<number>([TC.SETS, TC.SETSW, TC.SETSF, TC.SETS2, TC.SETSW2, TC.SETSF2, TC.FLSH, TIOC.SPGRP]);

/** The baud rate B38400 stands for (termios2's c_ispeed/c_ospeed). */
const B38400_SPEED = 38400;

/**
 * The ioctls both ends understand (tty_ioctl, n_tty_ioctl, tty_jobctrl_ioctl).
 * `replica` says which end asks: the job-control requests act on the
 * caller's controlling terminal only through the replica.
 */
export function terminalIoctl(term: Terminal, task: Task, cmd: number, arg: number, replica: boolean): number {
  if (replica && CHANGING.has(cmd)) term.checkJobControl(task, Signal.SIGTTOU);
  const ld = term.ld;
  switch (cmd) {
    case TC.GETS:
      task.mm.copyOut(arg, encodeStruct(Termios, ld.termios));
      return 0;
    case TC.SETS:
    case TC.SETSW:
    case TC.SETSF: {
      // Output drains at once here (the other end buffers it); TCSETSF also drops pending input.
      const t = decode(task, arg, Termios);
      if (cmd === TC.SETSF) ld.flush(true, false);
      ld.setTermios(t);
      term.cancelVtime();
      term.feed();
      return 0;
    }
    case TC.GETS2:
      task.mm.copyOut(arg, encodeStruct(Termios2, { ...ld.termios, c_ispeed: B38400_SPEED, c_ospeed: B38400_SPEED }));
      return 0;
    case TC.SETS2:
    case TC.SETSW2:
    case TC.SETSF2: {
      // The speeds mean nothing to a pseudo-terminal: only the termios part is kept.
      const t = decode(task, arg, Termios2);
      if (cmd === TC.SETSF2) ld.flush(true, false);
      ld.setTermios({ c_iflag: t.c_iflag, c_oflag: t.c_oflag, c_cflag: t.c_cflag, c_lflag: t.c_lflag, c_line: t.c_line, c_cc: t.c_cc });
      term.cancelVtime();
      term.feed();
      return 0;
    }
    case TC.SBRK:
    case TC.SBRKP:
      // tcdrain and tcsendbreak: output is already with the other end; a break means nothing to a pty.
      return 0;
    case TC.FLSH: {
      const which = arg;
      if (which !== TCFLUSH.IFLUSH && which !== TCFLUSH.OFLUSH && which !== TCFLUSH.IOFLUSH) throw new SysError(Errno.EINVAL);
      // The master's input is the replica's output, and the other way round.
      const input = which !== TCFLUSH.OFLUSH;
      const output = which !== TCFLUSH.IFLUSH;
      if (replica) ld.flush(input, output);
      else ld.flush(output, input);
      if (replica ? input : output) term.dropPendingInput();
      // A replica's flush is news for a master in packet mode (n_tty_packet_mode_flush).
      if (replica && term.packetMode) {
        term.packetStatus |= (input ? TIOCPKT_STATUS.FLUSHREAD : 0) | (output ? TIOCPKT_STATUS.FLUSHWRITE : 0);
        term.changed();
      }
      term.feed();
      return 0;
    }
    case TIOC.GWINSZ:
      task.mm.copyOut(arg, encodeStruct(Winsize, term.winsize));
      return 0;
    case TIOC.SWINSZ:
      term.setWinsize(decode(task, arg, Winsize));
      return 0;
    case FIO.NREAD:
      putU32(task, arg, replica ? ld.inputQueued : ld.outputQueued);
      return 0;
    case TIOC.OUTQ:
      // A pty's output is with the other end at once (Linux's pty has no chars_in_buffer).
      putU32(task, arg, 0);
      return 0;
    case TIOC.GPGRP:
      if (replica && task.group.tty !== term) throw new SysError(Errno.ENOTTY);
      putU32(task, arg, term.pgrp);
      return 0;
    case TIOC.SPGRP: {
      if (!replica || task.group.tty !== term || term.sid !== task.group.sid) throw new SysError(Errno.ENOTTY);
      const pgid = u32(task, arg);
      if (pgid < 0) throw new SysError(Errno.EINVAL);
      let found = false;
      for (const t of task.kernel.tasks.values()) {
        if (t.group.pgid !== pgid || t.group.exitStatus !== undefined) continue;
        if (t.group.sid !== term.sid) throw new SysError(Errno.EPERM);
        found = true;
      }
      if (!found) throw new SysError(Errno.ESRCH);
      term.pgrp = pgid;
      return 0;
    }
    case TIOC.GSID:
      if (task.group.tty !== term || term.sid === 0) throw new SysError(Errno.ENOTTY);
      putU32(task, arg, term.sid);
      return 0;
    case TIOC.SCTTY: {
      const g = task.group;
      if (g.tty === term) return 0;
      if (g.pid !== g.sid || g.tty) throw new SysError(Errno.EPERM);
      if (term.sid !== 0) {
        // Stealing another session's terminal needs arg 1 and privilege.
        if (arg !== 1 || !hasCapability(task.creds, CAP.SYS_ADMIN)) throw new SysError(Errno.EPERM);
        term.detachSession();
      }
      term.attachSession(g);
      return 0;
    }
    case TIOC.NOTTY: {
      const g = task.group;
      if (g.tty !== term) throw new SysError(Errno.ENOTTY);
      if (g.pid === g.sid) term.detachSession();
      else g.tty = undefined;
      return 0;
    }
  }
  throw new SysError(Errno.ENOTTY);
}

/**
 * Either end of a pty: a stream, so the description fails pread/pwrite with
 * ESPIPE before anything else (as Linux, which gives ttys no FMODE_PREAD),
 * and lseek fails the same way.
 */
abstract class TerminalEndFile extends FileImplBase {
  readonly stream = true;

  override seek(): number {
    throw new SysError(Errno.ESPIPE);
  }
}

/** The replica end (/dev/pts/N, the console): what applications read and write. */
export class ReplicaFile extends TerminalEndFile {
  private released = false;

  constructor(
    inode: Inode,
    readonly term: Terminal,
  ) {
    super(inode);
    term.replicaOpened();
  }

  override read(fd: FileDescription, dst: Uint8Array): number {
    const term = this.term;
    term.checkJobControl(term.kernel.current, Signal.SIGTTIN);
    if (term.hungUp) return 0;
    const ld = term.ld;
    const t = ld.termios;
    if (!(t.c_lflag & LFLAG.ICANON)) {
      const vmin = t.c_cc[V.MIN];
      const vtime = t.c_cc[V.TIME];
      const nonblock = (fd.statusFlags & O.NONBLOCK) !== 0;
      const have = ld.inputQueued;
      // VMIN bytes (or a full buffer), or what arrived before VTIME ran out;
      // with VMIN and VTIME 0 a read never waits.
      const enough = have >= Math.min(Math.max(vmin, 1), dst.length) || nonblock || (term.vtimeExpired && (have > 0 || vmin === 0));
      if (!enough) {
        if (vmin === 0 && vtime === 0) return 0;
        if (vtime > 0 && (vmin === 0 || have > 0)) term.armVtime(vtime);
        throw new SysError(Errno.EAGAIN);
      }
      term.cancelVtime();
      const got = ld.read(dst.length);
      if (!got) throw new SysError(Errno.EAGAIN);
      dst.set(got);
      term.feed();
      return got.length;
    }
    const got = ld.read(dst.length);
    if (!got) throw new SysError(Errno.EAGAIN);
    dst.set(got);
    term.feed();
    return got.length;
  }

  override write(_fd: FileDescription, src: Uint8Array): number {
    const term = this.term;
    term.checkWrite(term.kernel.current);
    if (term.hungUp) throw new SysError(Errno.EIO);
    return term.ld.write(src);
  }

  override readiness(_fd: FileDescription, mask: number): number {
    return this.term.replicaReadiness(mask);
  }

  override subscribe(_fd: FileDescription, mask: number, cb: ReadinessCallback): () => void {
    return this.term.subscribe('replica', mask, cb);
  }

  userIoctl(task: Task, cmd: number, arg: number): number {
    return terminalIoctl(this.term, task, cmd, arg, true);
  }

  override release(): void {
    if (this.released) return;
    this.released = true;
    this.term.replicaReleased();
  }
}

/** The master end of a pty (/dev/ptmx): reads what the replica's programs wrote and echoes, writes what is typed. */
export class MasterFile extends TerminalEndFile {
  private released = false;

  constructor(
    inode: Inode,
    readonly term: Terminal,
    /** TIOCGPTPEER: opens the replica for the caller with `flags`. */
    private readonly openPeer: (task: Task, flags: number) => number,
  ) {
    super(inode);
    term.masterOpens++;
  }

  override read(_fd: FileDescription, dst: Uint8Array): number {
    const term = this.term;
    if (term.packetMode && dst.length > 0) {
      // Packet mode: a pending status alone, else a 0 byte and then data.
      if (term.packetStatus !== 0) {
        dst[0] = term.packetStatus;
        term.packetStatus = 0;
        return 1;
      }
      const data = term.ld.takeOutput(dst.length - 1);
      if (data.length > 0) {
        dst[0] = TIOCPKT_STATUS.DATA;
        dst.set(data, 1);
        return data.length + 1;
      }
    }
    const out = this.term.ld.takeOutput(dst.length);
    if (out.length > 0) {
      dst.set(out);
      return out.length;
    }
    if (this.term.replicaClosed) throw new SysError(Errno.EIO);
    throw new SysError(Errno.EAGAIN);
  }

  override write(_fd: FileDescription, src: Uint8Array): number {
    const n = this.term.typeInput(src);
    if (n === 0 && src.length > 0) throw new SysError(Errno.EAGAIN);
    return n;
  }

  override readiness(_fd: FileDescription, mask: number): number {
    return this.term.masterReadiness(mask);
  }

  override subscribe(_fd: FileDescription, mask: number, cb: ReadinessCallback): () => void {
    return this.term.subscribe('master', mask, cb);
  }

  userIoctl(task: Task, cmd: number, arg: number): number {
    const term = this.term;
    switch (cmd) {
      case TIOC.GPTN:
        putU32(task, arg, term.index);
        return 0;
      case TIOC.SPTLCK:
        term.locked = u32(task, arg) !== 0;
        return 0;
      case TIOC.GPTLCK:
        putU32(task, arg, term.locked ? 1 : 0);
        return 0;
      case TIOC.GPTPEER:
        return this.openPeer(task, arg);
      case TIOC.PKT: {
        const on = u32(task, arg) !== 0;
        if (on && !term.packetMode) term.packetStatus = 0;
        term.packetMode = on;
        return 0;
      }
      case TIOC.GPKT:
        putU32(task, arg, term.packetMode ? 1 : 0);
        return 0;
      case TIOC.SIG: {
        const sig = arg;
        if (sig <= 0 || sig >= 65) throw new SysError(Errno.EINVAL);
        term.signalForeground(sig);
        return 0;
      }
      case TIOC.SCTTY:
      case TIOC.NOTTY:
      case TIOC.SPGRP:
        // A master is a terminal too, but sessions here live on the replica.
        throw new SysError(Errno.ENOTTY);
    }
    return terminalIoctl(term, task, cmd, arg, false);
  }

  override release(): void {
    if (this.released) return;
    this.released = true;
    this.term.masterReleased();
  }
}
