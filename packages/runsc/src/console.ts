import { readSync, writeSync } from 'node:fs';
import { CFLAG, IFLAG, LFLAG, O, OFLAG, POLL, V, type Termios } from '@tvisor/abi';
import {
  ROOT_CREDENTIALS,
  hostGetTermios,
  hostGetWinsize,
  hostPollAsync,
  hostSetTermios,
  type Devpts,
  type Kernel,
  type Terminal,
  type ThreadGroup,
} from '@tvisor/kernel';
import type { FileDescription } from '@tvisor/vfs';

/** How long one wait for keys lasts before it looks again. */
const KEY_POLL_SLICE_MS = 100;

/** cfmakeraw(3): no input or output processing, no echo, no signals; bytes as they come. */
function rawMode(t: Termios): Termios {
  const cc = t.c_cc.slice();
  cc[V.MIN] = 1;
  cc[V.TIME] = 0;
  return {
    ...t,
    c_iflag: t.c_iflag & ~(IFLAG.IGNBRK | IFLAG.BRKINT | IFLAG.PARMRK | IFLAG.ISTRIP | IFLAG.INLCR | IFLAG.IGNCR | IFLAG.ICRNL | IFLAG.IXON),
    c_oflag: t.c_oflag & ~OFLAG.OPOST,
    c_lflag: t.c_lflag & ~(LFLAG.ECHO | LFLAG.ECHONL | LFLAG.ICANON | LFLAG.ISIG | LFLAG.IEXTEN),
    c_cflag: (t.c_cflag & ~(CFLAG.CSIZE | CFLAG.PARENB)) | CFLAG.CS8,
    c_cc: cc,
  };
}

/**
 * A host terminal attached to a new sentry terminal (a devpts pty whose
 * master side is runsc): the host tty goes to raw mode so every key,
 * Ctrl-C included, reaches the sandbox's line discipline, which echoes,
 * edits lines and signals the foreground job as a kernel would. The
 * application sees /dev/pts/N as its stdio and controlling terminal.
 * Reusable: `runsc do` attaches its own terminal, an OCI runtime the pty
 * replica it made for process.terminal.
 */
export class Console {
  readonly term: Terminal;
  private readonly saved: Termios | undefined;
  private closed = false;
  private readonly restoreOnExit = () => this.restoreHost();
  private unsubscribe: (() => void) | undefined;

  private constructor(
    private readonly kernel: Kernel,
    devpts: Devpts,
    /** The host tty keys come from. */
    private readonly hostIn: number,
    /** Where the terminal's output goes (the same tty, usually). */
    private readonly hostOut: number,
    /** Look at the host tty's size on every idle key wait and before keys (no SIGWINCH reaches us for this tty). */
    private readonly followSize: boolean,
  ) {
    this.term = devpts.allocate(0);
    this.term.locked = false;
    // The console's master is runsc itself, open for the sandbox's life.
    this.term.masterOpens++;
    this.saved = hostGetTermios(hostIn);
    if (this.saved) {
      // Restored on every way out: normal exit, an error, a signal that ends runsc.
      process.on('exit', this.restoreOnExit);
      hostSetTermios(hostIn, rawMode(this.saved));
    }
    this.copyWindowSize();
    this.unsubscribe = this.term.subscribe('master', POLL.IN, () => this.flushOutput());
    kernel.hostWaits++;
    this.readKeys();
  }

  /**
   * Attaches host tty `hostIn` (and `hostOut` for output) to a new sentry
   * terminal. `followSize`: the host tty is not runsc's controlling terminal
   * (an exec's, passed over the control socket), so no SIGWINCH tells of a
   * resize; its size is read again each time the key wait comes up empty.
   */
  static attach(kernel: Kernel, devpts: Devpts, hostIn: number, hostOut = hostIn, followSize = false): Console {
    return new Console(kernel, devpts, hostIn, hostOut, followSize);
  }

  /** A new open file of the terminal's replica (/dev/pts/N), read-write, for a process's stdio. */
  openReplica(): FileDescription {
    const vfs = this.kernel.root.vfs;
    return vfs.openAt({ ...vfs.context(ROOT_CREDENTIALS), root: this.kernel.root.root, start: this.kernel.root.root }, this.term.name, {
      flags: O.RDWR | O.NOCTTY,
    });
  }

  /** Makes the terminal `leader`'s controlling terminal, its group in the foreground (a session leader, like init). */
  makeControlling(leader: ThreadGroup): void {
    this.term.attachSession(leader);
  }

  /** The host terminal changed size (SIGWINCH): the sandbox's foreground job hears of it. */
  copyWindowSize(): void {
    const ws = hostGetWinsize(this.hostIn);
    if (ws) this.term.setWinsize(ws);
  }

  /** The host terminal went away (SIGHUP): so does the sandbox's, with SIGHUP to its session. */
  hangUp(): void {
    this.term.hangUp();
  }

  /**
   * Waits for keys on one of Node's worker threads (poll in short slices,
   * so runsc can exit when the sandbox does), then reads what came.
   */
  private readKeys(): void {
    if (this.closed) return;
    hostPollAsync(this.hostIn, POLL.IN, KEY_POLL_SLICE_MS, (revents) => {
      if (this.closed) return;
      if (revents === 0) {
        if (this.followSize) this.copyWindowSize();
        this.readKeys();
        return;
      }
      const buf = Buffer.alloc(4096);
      let n: number;
      try {
        n = readSync(this.hostIn, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
          this.readKeys();
          return;
        }
        n = 0;
      }
      if (n === 0) {
        // The host terminal is gone: so is the sandbox's.
        this.hangUp();
        return;
      }
      // A resize the client made before these keys must be seen before they are (stty size).
      if (this.followSize) this.copyWindowSize();
      this.term.typeInput(buf.subarray(0, n));
      this.kernel.wakeRunLoop();
      this.readKeys();
    });
  }

  private flushOutput(): void {
    for (;;) {
      const out = this.term.ld.takeOutput(65536);
      if (out.length === 0) return;
      let off = 0;
      while (off < out.length) {
        try {
          off += writeSync(this.hostOut, out, off, out.length - off);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
          return;
        }
      }
    }
  }

  private restoreHost(): void {
    if (this.saved) hostSetTermios(this.hostIn, this.saved);
  }

  /** Detaches: the host terminal is as it was, and runsc stops reading it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.flushOutput();
    this.unsubscribe?.();
    this.kernel.hostWaits--;
    this.restoreHost();
    process.off('exit', this.restoreOnExit);
  }
}
