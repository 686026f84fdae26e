import { Errno, Signal, SysError, strerror } from '@tvisor/abi';
import { Devpts, Kernel, MemoryFilePages, createProcfs, exitCodeOf, hostIsatty, spawnInit } from '@tvisor/kernel';
import type { FileDescription } from '@tvisor/vfs';
import { MemoryFile } from '@tvisor/mm';
import { PtracePlatform } from '@tvisor/platform-ptrace';
import { buildRootFilesystem, mountDevpts, mountProcfs } from './rootfs.js';
import { Console } from './console.js';
import { forwardSignals } from './signal-forwarding.js';

export interface DoOptions {
  argv: string[];
  /** Host directory shown as the sandbox's root. */
  root: string;
  /** Working directory inside the sandbox. */
  cwd: string;
  env: string[];
  strace?: (line: string) => void;
  /** Keep writes in memory (an overlay over the root) rather than read-only. */
  overlay: boolean;
  stderr: (s: string) => void;
  /** Print full diagnostics (stacks of sentry errors). */
  debug?: boolean;
}

/** The console for runsc's terminal, or none if the sandbox has no /dev/pts to show it in. */
function attachConsole(kernel: Kernel, devpts: Devpts): Console | undefined {
  try {
    const out = [1, 2, 0].find((fd) => hostIsatty(fd)) ?? 0;
    return Console.attach(kernel, devpts, 0, out);
  } catch {
    return undefined;
  }
}

/**
 * `runsc do`: one sandbox, one command, the host root behind a copy-on-write
 * overlay. Returns the exit status to pass through (128+N for signal N).
 */
export async function runDo(opts: DoOptions): Promise<number> {
  const memoryFile = MemoryFile.create('tvisor-memory');
  const platform = new PtracePlatform(memoryFile);
  const filePages = new MemoryFilePages(memoryFile);
  const root = buildRootFilesystem({ hostRoot: opts.root, overlay: opts.overlay, pages: filePages });
  const kernel = new Kernel({ platform, memoryFile, root, strace: opts.strace, filePages });
  mountProcfs(root, createProcfs(kernel));
  const devpts = new Devpts(kernel);
  mountDevpts(root, devpts);
  kernel.onInternalError = (text) => opts.stderr(`runsc: ${opts.debug ? text : text.split('\n')[0]}\n`);
  // A terminal on stdin: the app gets a sentry terminal attached to it (its
  // stdio fds that are that terminal become /dev/pts/N), as a kernel's console.
  const console = hostIsatty(0) ? attachConsole(kernel, devpts) : undefined;
  let replica: FileDescription | undefined;
  const stdio = (fd: number): FileDescription | undefined => {
    if (!console || !hostIsatty(fd)) return undefined;
    if (replica) replica.incRef();
    else replica = console.openReplica();
    return replica;
  };
  let init;
  try {
    init = spawnInit(kernel, { argv: opts.argv, envp: opts.env, cwd: opts.cwd, stdio });
  } catch (e) {
    console?.close();
    platform.shutdown();
    if (e instanceof SysError) {
      opts.stderr(`runsc: ${opts.argv[0]}: ${strerror(e.errno)}\n`);
      return e.errno === Errno.ENOENT ? 127 : 126;
    }
    throw e;
  }
  if (console && replica) console.makeControlling(init);
  const stopForwarding = forwardSignals(kernel, {
    // With a console, the host terminal's size and hangup are the sandbox terminal's.
    override: console ? { [Signal.SIGWINCH]: () => console.copyWindowSize(), [Signal.SIGHUP]: () => console.hangUp() } : {},
    forceExit: () => kernel.killGroup(init, Signal.SIGKILL),
  });
  try {
    const status = await kernel.run();
    return exitCodeOf(status);
  } finally {
    stopForwarding();
    console?.close();
    memoryFile.close();
  }
}
