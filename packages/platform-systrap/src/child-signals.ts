/**
 * Waiting for a ptrace stop without blocking the event loop. Every stop of
 * a tracee sends its tracer SIGCHLD; Node delivers that as a process event
 * on the event loop, so timers and I/O go on while we wait, and the stop is
 * then collected with a non-blocking waitpid. (This is safe because the
 * sentry never uses child_process, whose reaper would take our children.)
 */
export class ChildSignalWaiter {
  private listening = false;
  private seen = false;
  private wake: (() => void) | undefined;
  private readonly onSignal = () => {
    this.seen = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  };

  /** Starts listening for SIGCHLD (idempotent). */
  listen(): void {
    if (this.listening) return;
    this.listening = true;
    process.on('SIGCHLD', this.onSignal);
  }

  /** Forgets SIGCHLDs seen so far: the caller is about to look for stops itself. */
  consume(): void {
    this.seen = false;
  }

  /**
   * Resolves at the next SIGCHLD (at once if one came since `consume`).
   * Node's signal watchers do not keep the process alive, so a timer does
   * while we wait: a stub running without syscalls is still work to wait for.
   */
  next(): Promise<void> {
    if (this.seen) return Promise.resolve();
    return new Promise((resolve) => {
      const keepAlive = setInterval(() => {}, 1 << 30);
      this.wake = () => {
        clearInterval(keepAlive);
        resolve();
      };
    });
  }

  close(): void {
    if (this.listening) process.off('SIGCHLD', this.onSignal);
    this.listening = false;
  }
}
