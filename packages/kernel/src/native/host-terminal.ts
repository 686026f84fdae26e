/**
 * The host side of a console and of signal forwarding (used by runsc), through koffi:
 * terminal ioctls on the host tty, and rt_sigaction to make a forwarded
 * signal interrupt the sentry's blocking waitpid.
 */
import koffi from 'koffi';
import { SA, SYS, Sigaction, TC, TIOC, Termios, Winsize } from '@tvisor/abi';

const libc = koffi.load('libc.so.6');
const ioctl_ = libc.func('int ioctl(int fd, unsigned long request, uint8_t *arg)');
const isatty_ = libc.func('int isatty(int fd)');
const rtSigaction = libc.func('long syscall(long nr, int sig, uint8_t *act, uint8_t *oldact, size_t size)');

/** isatty(3) on a host fd. */
export function hostIsatty(fd: number): boolean {
  return (isatty_(fd) as number) === 1;
}

function ioctlBuf(fd: number, request: number, buf: Uint8Array): boolean {
  return (ioctl_(fd, request, buf) as number) === 0;
}

/** TCGETS on a host tty; undefined if it is not one. */
export function hostGetTermios(fd: number): Termios | undefined {
  const buf = new Uint8Array(Termios.size);
  return ioctlBuf(fd, TC.GETS, buf) ? Termios.decode(new DataView(buf.buffer), 0) : undefined;
}

/** TCSETSW (tcsetattr TCSADRAIN) on a host tty. */
export function hostSetTermios(fd: number, t: Termios): boolean {
  const buf = new Uint8Array(Termios.size);
  Termios.encode(new DataView(buf.buffer), 0, t);
  return ioctlBuf(fd, TC.SETSW, buf);
}

/** TIOCGWINSZ on a host tty. */
export function hostGetWinsize(fd: number): Winsize | undefined {
  const buf = new Uint8Array(Winsize.size);
  return ioctlBuf(fd, TIOC.GWINSZ, buf) ? Winsize.decode(new DataView(buf.buffer), 0) : undefined;
}

/**
 * TIOCSCTTY on a host tty: it becomes the controlling terminal of this
 * process, which must lead a session without one (the OCI sandbox process,
 * whose stdio is the container's pty replica), so the host kernel tells it
 * of resizes (SIGWINCH) made on the pty's master.
 */
export function hostSetControllingTerminal(fd: number): boolean {
  return (ioctl_(fd, TIOC.SCTTY, null) as number) === 0;
}

/**
 * Re-installs the handler Node put on `sig` without SA_RESTART, so that the
 * signal's arrival ends a blocking waitpid in the sentry's thread (EINTR)
 * and the event loop gets to run the JavaScript listener at once.
 */
export function interruptSyscallsOn(sig: number): void {
  const old = new Uint8Array(Sigaction.size);
  if ((rtSigaction(SYS.rt_sigaction, sig, null, old, 8) as number) !== 0) return;
  const act = Sigaction.decode(new DataView(old.buffer), 0);
  if (act.sa_handler <= 1) return;
  act.sa_flags &= ~SA.RESTART;
  const buf = new Uint8Array(Sigaction.size);
  Sigaction.encode(new DataView(buf.buffer), 0, act);
  rtSigaction(SYS.rt_sigaction, sig, buf, null, 8);
}
