import { ACCESS, Errno, S, SysError } from '@tvisor/abi';
import { loadImage, startProcess } from './exec.js';
import { FdTable } from './fd-table.js';
import { FsContext, vfsCredentials } from './fs-context.js';
import { copyCredentials, newCredentials } from './credentials.js';
import { stdioFile } from './host/host-stdio.js';
import type { FileDescription } from '@tvisor/vfs';
import type { Kernel } from './kernel.js';
import type { Credentials, ThreadGroup } from './task.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Root with every capability: `runsc do`'s default. Copy before use (copyCredentials). */
export const ROOT_CREDENTIALS: Credentials = Object.freeze(newCredentials(0, 0));

export interface InitRequest {
  argv: string[];
  envp: string[];
  /** Working directory inside the sandbox. */
  cwd: string;
  creds?: Credentials;
  /**
   * Fds 0, 1 and 2: each a host fd served as stdio (the container's FIFOs, a
   * file, a pty) or a sandbox file (a console's terminal). Default: the
   * sentry's own 0-2.
   */
  stdio?: readonly (number | FileDescription)[];
  /** File mode creation mask (default 022). */
  umask?: number;
}

/**
 * Finds `name` like execvp(3) does: names with a slash are taken as they
 * are, others are searched on PATH inside the sandbox.
 */
export function findOnPath(fs: FsContext, name: string, envp: readonly string[]): string {
  if (name.includes('/')) return name;
  const pathVar = envp.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  let denied = false;
  for (const dir of pathVar.split(':')) {
    const candidate = `${dir || '.'}/${name}`;
    try {
      const ctx = { root: fs.root, start: fs.cwd, creds: vfsCredentials(fs.creds), umask: fs.umask };
      const st = fs.vfs.statAt(ctx, candidate, 0);
      if ((st.mode & S.IFMT) !== S.IFREG) continue;
      fs.vfs.accessAt(ctx, candidate, ACCESS.X_OK, 0);
      return candidate;
    } catch (e) {
      if (e instanceof SysError && e.errno === Errno.EACCES) denied = true;
    }
  }
  throw new SysError(denied ? Errno.EACCES : Errno.ENOENT);
}

/**
 * Starts the sandbox's first process (PID 1) with the host's stdio as its
 * fds 0-2, in `cwd`.
 */
export function spawnInit(kernel: Kernel, req: InitRequest): ThreadGroup {
  const group = spawnProcess(kernel, req);
  kernel.init = group;
  return group;
}

/**
 * Starts a process with no parent inside the sandbox (init, or one that
 * `runsc exec` adds to a running sandbox: the kernel's run loop, if it
 * runs, picks it up). Fails with ENOENT/EACCES/ENOEXEC before anything runs.
 */
export function spawnProcess(kernel: Kernel, req: InitRequest): ThreadGroup {
  const creds = copyCredentials(req.creds ?? ROOT_CREDENTIALS);
  const { vfs, root } = kernel.root;
  const ctx = { root, start: root, creds: vfsCredentials(creds), umask: 0o022 };
  let cwd = root;
  try {
    cwd = vfs.getVd(ctx, req.cwd);
  } catch {
    // Like gVisor, a cwd missing from the sandbox falls back to the root.
  }
  const fs = new FsContext(vfs, root, cwd, creds);
  if (req.umask !== undefined) fs.umask = req.umask;
  const path = findOnPath(fs, req.argv[0], req.envp);
  const image = loadImage(kernel, fs, creds, { path, argv: req.argv, envp: req.envp });
  // The process runs with what exec makes of the given credentials (capabilities(7)).
  Object.assign(creds, image.creds);
  const fds = new FdTable((file) => vfs.locks.releaseDescription(file));
  const stdio = req.stdio ?? [0, 1, 2];
  for (const fd of [0, 1, 2]) {
    const io = stdio[fd];
    fds.set(fd, typeof io === 'number' ? stdioFile(io, vfs, kernel) : io);
  }
  const group = startProcess(kernel, image, { parent: undefined, fds, fs, creds });
  if (kernel.running) {
    for (const task of group.tasks) kernel.startTask(task);
    kernel.wakeRunLoop();
  }
  return group;
}

/** The shell-style exit code of a wait status: the exit code, or 128+N when signal N killed the process. */
export function exitCodeOf(status: number): number {
  const sig = status & 0x7f;
  return sig === 0 ? (status >> 8) & 0xff : 128 + sig;
}
