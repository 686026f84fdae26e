import { Errno, LFLAG, POLL, Signal, SysError, type Winsize } from '@tvisor/abi';
import { WaiterQueue, type ReadinessCallback } from '@tvisor/vfs';
import type { Kernel } from '../kernel.js';
import { isOrphanedPgrp } from '../job-control.js';
import { sendKill } from '../signal-delivery.js';
import { SIG_IGN, sigbit } from '../signals.js';
import type { Task, ThreadGroup } from '../task.js';
import { LineDiscipline } from './line-discipline.js';

/**
 * One terminal: a line discipline between two ends. The replica end is what
 * applications hold (/dev/pts/N); the master end is a pty master's file or,
 * for the console, the host terminal runsc drives. Also the terminal's
 * session and foreground process group (job control).
 */
export class Terminal {
  readonly ld: LineDiscipline;
  winsize: Winsize = { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 };
  /** The session this is the controlling terminal of (its leader's pid), 0 for none. */
  sid = 0;
  /** The foreground process group, 0 for none. */
  pgrp = 0;
  /** A new pty is locked until unlockpt (TIOCSPTLCK 0): its replica cannot be opened. */
  locked = true;
  /** Open files of each end. */
  masterOpens = 0;
  replicaOpens = 0;
  /** The replica was opened once: from then on its last close is a hangup the master sees (EIO, POLLHUP). */
  private replicaEverOpened = false;
  /** The master went away: replica reads say end of file, writes EIO. */
  hungUp = false;
  /** Told when the last file of either end closes (the pty goes away). */
  onRelease: (() => void) | undefined;
  /** TIOCPKT: master reads start with a status byte (0 before data). */
  packetMode = false;
  /** Packet-mode events (TIOCPKT_FLUSHREAD...) the master has still to read. */
  packetStatus = 0;
  /** Told when the master's last file closes. */
  onMasterGone: (() => void) | undefined;
  readonly replicaWaiters = new WaiterQueue();
  readonly masterWaiters = new WaiterQueue();
  private notifying = false;
  private notifyAgain = false;
  /** VTIME's timer for the read waiting now, and whether it ran out. */
  private vtimeCancel: (() => void) | undefined;
  vtimeExpired = false;

  constructor(
    readonly kernel: Kernel,
    /** The pty number (N of /dev/pts/N). */
    readonly index: number,
  ) {
    this.ld = new LineDiscipline({ signal: (sig) => this.signalForeground(sig), changed: () => this.changed() });
  }

  /** /dev/pts/N: what ttyname and /proc show. */
  get name(): string {
    return `/dev/pts/${this.index}`;
  }

  /** Wakes whoever waits on either end; re-entrant changes (a woken reader reads) loop here, not recurse. */
  changed(): void {
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = true;
    try {
      do {
        this.notifyAgain = false;
        this.replicaWaiters.notify(this.replicaReadiness(POLL.IN | POLL.OUT | POLL.RDNORM | POLL.WRNORM));
        this.masterWaiters.notify(this.masterReadiness(POLL.IN | POLL.OUT | POLL.RDNORM | POLL.WRNORM));
      } while (this.notifyAgain);
    } finally {
      this.notifying = false;
    }
  }

  /** poll(2) on the replica: input ready (a line, or VMIN bytes), room for output, or hung up. */
  /**
   * Typed input the line discipline has no room for yet (Linux's tty flip
   * buffer): taken in as the application reads.
   */
  private pendingInput: number[] = [];

  /** Input typed at the master (or a console's keyboard): returns how much was accepted (0: the buffer is full). */
  typeInput(bytes: Uint8Array): number {
    const n = Math.min(bytes.length, PENDING_INPUT_MAX - this.pendingInput.length);
    for (let k = 0; k < n; k++) this.pendingInput.push(bytes[k]);
    this.feed();
    return n;
  }

  /** Moves pending typed input into the line discipline as far as it has room. */
  feed(): void {
    if (this.pendingInput.length === 0) return;
    // Taken out first: the discipline's wake-ups may run a reader at once, whose read feeds
    // again, and must not find these bytes still pending (they would be echoed and read twice).
    const bytes = Uint8Array.from(this.pendingInput);
    this.pendingInput = [];
    const taken = this.ld.receive(bytes);
    // What found no room goes back before anything typed meanwhile.
    if (taken < bytes.length) this.pendingInput = [...bytes.subarray(taken), ...this.pendingInput];
    if (taken > 0) this.changed();
  }

  /** TCFLSH of input also drops what waits to go in. */
  dropPendingInput(): void {
    if (this.pendingInput.length === 0) return;
    this.pendingInput = [];
    this.changed();
  }

  replicaReadiness(mask: number): number {
    if (this.hungUp) return (POLL.IN | POLL.OUT | POLL.RDNORM | POLL.WRNORM | POLL.HUP | POLL.ERR) & (mask | POLL.HUP | POLL.ERR);
    let r = 0;
    if (this.ld.readable(true) || this.vtimeExpired) r |= POLL.IN | POLL.RDNORM;
    if (this.ld.writable) r |= POLL.OUT | POLL.WRNORM;
    return r & (mask | POLL.HUP | POLL.ERR);
  }

  /** poll(2) on the master: output (or a packet status) to take, room for typed input; POLLHUP once the replica was closed by all. */
  masterReadiness(mask: number): number {
    let r = 0;
    if (this.ld.outputQueued > 0) r |= POLL.IN | POLL.RDNORM;
    // A packet-mode status byte (a replica's flush) is urgent news: POLLPRI too (n_tty_poll).
    if (this.packetMode && this.packetStatus !== 0) r |= POLL.IN | POLL.RDNORM | POLL.PRI;
    if (this.pendingInput.length < PENDING_INPUT_MAX) r |= POLL.OUT | POLL.WRNORM;
    if (this.replicaClosed) r |= POLL.HUP;
    return r & (mask | POLL.HUP | POLL.ERR);
  }

  /** Every replica file is closed after one was open: master reads say EIO once output is drained. */
  get replicaClosed(): boolean {
    return this.replicaEverOpened && this.replicaOpens === 0;
  }

  subscribe(end: 'master' | 'replica', mask: number, cb: ReadinessCallback): () => void {
    return (end === 'master' ? this.masterWaiters : this.replicaWaiters).subscribe(mask, cb);
  }

  replicaOpened(): void {
    this.replicaOpens++;
    this.replicaEverOpened = true;
    this.changed();
  }

  replicaReleased(): void {
    this.replicaOpens--;
    this.changed();
    this.maybeRelease();
  }

  masterReleased(): void {
    this.masterOpens--;
    if (this.masterOpens === 0) {
      this.hangUp();
      // /dev/pts/N goes with its master, even while the replica is open (devpts_pty_kill).
      this.onMasterGone?.();
    }
    this.maybeRelease();
  }

  private maybeRelease(): void {
    if (this.masterOpens === 0 && this.replicaOpens === 0) {
      this.cancelVtime();
      this.onRelease?.();
    }
  }

  /**
   * The terminal goes away (its master closed): the session leader and the
   * foreground group get SIGHUP and SIGCONT, and every process of the
   * session loses it as controlling terminal (tty_vhangup).
   */
  hangUp(): void {
    if (this.hungUp) return;
    this.hungUp = true;
    this.ld.flush(true, true);
    const targets = new Set<ThreadGroup>();
    for (const g of liveGroups(this.kernel)) {
      if (g.tty !== this) continue;
      if (g.pid === this.sid || (this.pgrp !== 0 && g.pgid === this.pgrp)) targets.add(g);
      g.tty = undefined;
    }
    for (const g of targets) sendKill(this.kernel, g, Signal.SIGHUP);
    for (const g of targets) sendKill(this.kernel, g, Signal.SIGCONT);
    this.sid = 0;
    this.pgrp = 0;
    this.changed();
  }

  /** ISIG and TIOCSWINSZ: a signal to every process of the foreground group. */
  signalForeground(sig: number): void {
    if (this.pgrp === 0) return;
    for (const g of liveGroups(this.kernel)) if (g.pgid === this.pgrp) sendKill(this.kernel, g, sig);
  }

  /** TIOCSWINSZ: a new size; the foreground group hears of a change by SIGWINCH. */
  setWinsize(ws: Winsize): void {
    const old = this.winsize;
    this.winsize = { ...ws };
    if (old.ws_row !== ws.ws_row || old.ws_col !== ws.ws_col || old.ws_xpixel !== ws.ws_xpixel || old.ws_ypixel !== ws.ws_ypixel) {
      this.signalForeground(Signal.SIGWINCH);
    }
  }

  /**
   * Job control for the replica (tty_check_change, __tty_check_change):
   * a process of a background group of this terminal's session that reads
   * (SIGTTIN) — or writes with TOSTOP, or changes settings (SIGTTOU) — stops
   * its whole group instead, unless it ignores or blocks the signal (then
   * writes go ahead and reads fail with EIO) or its group is orphaned (EIO).
   */
  checkJobControl(task: Task | undefined, sig: typeof Signal.SIGTTIN | typeof Signal.SIGTTOU): void {
    if (!task) return;
    const g = task.group;
    if (g.tty !== this || this.pgrp === 0 || g.pgid === this.pgrp) return;
    const ignored = g.signals.actions[sig].handler === SIG_IGN || (task.blocked & sigbit(sig)) !== 0n;
    if (ignored) {
      if (sig === Signal.SIGTTIN) throw new SysError(Errno.EIO);
      return;
    }
    if (isOrphanedPgrp(this.kernel, g.pgid)) throw new SysError(Errno.EIO);
    for (const member of liveGroups(this.kernel)) if (member.pgid === g.pgid) sendKill(this.kernel, member, sig);
    throw new SysError(Errno.ERESTARTSYS);
  }

  /** A write of the replica by `task`: SIGTTOU for a background group when TOSTOP is set. */
  checkWrite(task: Task | undefined): void {
    if (this.ld.termios.c_lflag & LFLAG.TOSTOP) this.checkJobControl(task, Signal.SIGTTOU);
  }

  /**
   * `task` opened the replica without O_NOCTTY: a session leader without a
   * controlling terminal takes this one if no session has it (tty_open's
   * __proc_set_tty).
   */
  maybeAcquire(task: Task | undefined): void {
    if (!task) return;
    const g = task.group;
    if (g.pid !== g.sid || g.tty || this.sid !== 0 || this.hungUp) return;
    this.attachSession(g);
  }

  /** Makes this the controlling terminal of `leader`'s session, with the leader's group in the foreground. */
  attachSession(leader: ThreadGroup): void {
    this.sid = leader.sid;
    this.pgrp = leader.pgid;
    for (const g of liveGroups(this.kernel)) if (g.sid === leader.sid) g.tty = this;
  }

  /**
   * The session loses this terminal (TIOCNOTTY by its leader, or the leader
   * exited): the foreground group gets SIGHUP and SIGCONT, and no process
   * of the session has a controlling terminal any more (disassociate_ctty).
   */
  detachSession(): void {
    const sid = this.sid;
    if (this.pgrp !== 0) {
      this.signalForeground(Signal.SIGHUP);
      this.signalForeground(Signal.SIGCONT);
    }
    for (const g of liveGroups(this.kernel)) if (g.sid === sid && g.tty === this) g.tty = undefined;
    this.sid = 0;
    this.pgrp = 0;
  }

  /**
   * VTIME: a read with nothing to return (or fewer than VMIN bytes) waits
   * at most VTIME tenths of a second; when the time is up, readers are woken
   * and the read returns what there is.
   */
  armVtime(tenths: number): void {
    if (this.vtimeCancel || this.vtimeExpired) return;
    this.vtimeCancel = this.kernel.setTimer(tenths * 100, () => {
      this.vtimeCancel = undefined;
      this.vtimeExpired = true;
      this.changed();
    });
  }

  cancelVtime(): void {
    this.vtimeCancel?.();
    this.vtimeCancel = undefined;
    this.vtimeExpired = false;
  }
}

/** How much typed input may wait for room in the line discipline (TTYB_DEFAULT_MEM_LIMIT). */
const PENDING_INPUT_MAX = 65536;

/** Processes that have not exited. */
export function liveGroups(kernel: Kernel): Set<ThreadGroup> {
  const groups = new Set<ThreadGroup>();
  for (const t of kernel.tasks.values()) if (t.group.exitStatus === undefined) groups.add(t.group);
  return groups;
}

/** A session leader exits: its controlling terminal is given up (SIGHUP to the foreground group). */
export function sessionLeaderExited(g: ThreadGroup): void {
  const tty = g.tty;
  if (tty && g.pid === g.sid && tty.sid === g.sid) tty.detachSession();
}
