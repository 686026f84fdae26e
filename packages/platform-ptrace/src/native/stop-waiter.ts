/**
 * Waits for a ptrace stop without blocking the sentry's event loop.
 *
 * The tracer thread must make every ptrace request and should collect
 * stops itself, but a blocking waitpid there would freeze timers and host
 * I/O. A worker thread of the same process may wait on the tracer's
 * children, so it calls waitid(P_PGID, ..., WNOWAIT): it learns that a stop
 * is pending without consuming it, and posts a message; the tracer then
 * collects the stop with a non-blocking waitpid.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const koffi = require(workerData.koffiPath);
const libc = koffi.load('libc.so.6');
const waitid = libc.func('int waitid(int idtype, int id, uint8_t *infop, int options)');
const control = new Int32Array(workerData.control);
const info = new Uint8Array(128);
const { P_PGID, options } = workerData;
for (;;) {
  Atomics.wait(control, 0, 0);
  Atomics.store(control, 0, 0);
  const rc = waitid(P_PGID, control[1], info, options);
  parentPort.postMessage(rc < 0 ? -koffi.errno() : 0);
}
`;

/** waitid(2) idtype and options (sys/wait.h, linux/wait.h); checked by a test. */
export const P_PGID = 2;
export const WEXITED = 4;
export const WSTOPPED = 2;
export const WNOWAIT = 0x01000000;
export const __WALL = 0x40000000;

export class StopWaiter {
  private readonly control = new Int32Array(new SharedArrayBuffer(8));
  private readonly worker: Worker;
  private pending: Promise<number> | undefined;
  private resolvePending: ((rc: number) => void) | undefined;

  constructor() {
    const require = createRequire(import.meta.url);
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        koffiPath: require.resolve('koffi'),
        control: this.control.buffer,
        P_PGID,
        options: WEXITED | WSTOPPED | WNOWAIT | __WALL,
      },
    });
    this.worker.unref();
    this.worker.on('message', (rc: number) => {
      const resolve = this.resolvePending;
      this.pending = undefined;
      this.resolvePending = undefined;
      resolve?.(rc);
    });
  }

  /**
   * Resolves once a child in process group `pgid` has a state change to
   * report (0), or with -errno (ECHILD when there is none). At most one wait
   * is outstanding; asking again returns the same promise.
   */
  wait(pgid: number): Promise<number> {
    if (!this.pending) {
      this.pending = new Promise((resolve) => (this.resolvePending = resolve));
      Atomics.store(this.control, 1, pgid);
      Atomics.store(this.control, 0, 1);
      Atomics.notify(this.control, 0);
    }
    return this.pending;
  }

  close(): void {
    void this.worker.terminate();
  }
}
