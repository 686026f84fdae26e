/**
 * The wait status word of wait4(2)/waitpid(2): builders the sentry uses to
 * report a child's state, and the W* macros as functions to read one (e.g. a
 * ptrace stop of a traced host process).
 */

/** Bit set in a "killed by signal" status when a core was dumped. */
export const WCOREFLAG = 0x80;
/** The whole status of a child resumed by SIGCONT (WIFCONTINUED). */
export const W_CONTINUED = 0xffff;

/** Status of a child that exited with `code` (W_EXITCODE(code, 0)). */
export function wExitCode(code: number): number {
  return (code & 0xff) << 8;
}
/** Status of a child killed by `sig`, with the core flag if it dumped core. */
export function wTermCode(sig: number, core = false): number {
  return (sig & 0x7f) | (core ? WCOREFLAG : 0);
}
/** Status of a child stopped by `sig` (W_STOPCODE); `event` adds a PTRACE_EVENT in bits 16+. */
export function wStopCode(sig: number, event = 0): number {
  return ((event << 16) | ((sig & 0xff) << 8) | 0x7f) >>> 0;
}

/** WIFEXITED. */
export function wifexited(status: number): boolean {
  return (status & 0x7f) === 0;
}
/** WEXITSTATUS. */
export function wexitstatus(status: number): number {
  return (status >> 8) & 0xff;
}
/** WIFSIGNALED. */
export function wifsignaled(status: number): boolean {
  return (((status & 0x7f) + 1) << 24) >> 25 > 0;
}
/** WTERMSIG. */
export function wtermsig(status: number): number {
  return status & 0x7f;
}
/** WCOREDUMP. */
export function wcoredump(status: number): boolean {
  return (status & WCOREFLAG) !== 0;
}
/** WIFSTOPPED. */
export function wifstopped(status: number): boolean {
  return (status & 0xff) === 0x7f;
}
/** WSTOPSIG. */
export function wstopsig(status: number): number {
  return (status >> 8) & 0xff;
}
/** WIFCONTINUED. */
export function wifcontinued(status: number): boolean {
  return status === W_CONTINUED;
}
/** The PTRACE_EVENT of a ptrace-event stop (`status >> 16`), 0 if none. */
export function wptraceEvent(status: number): number {
  return status >>> 16;
}
