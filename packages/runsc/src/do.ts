import { Errno, SysError, strerror } from '@tvisor/abi';
import { Kernel, MemoryFilePages, createProcfs, exitCodeOf, linux64SyscallTable, spawnInit } from '@tvisor/kernel';
import { MemoryFile } from '@tvisor/mm';
import { PtracePlatform } from '@tvisor/platform-ptrace';
import { buildRootFilesystem, mountProcfs } from './rootfs.js';

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

/**
 * `runsc do`: one sandbox, one command, the host root behind a copy-on-write
 * overlay. Returns the exit status to pass through (128+N for signal N).
 */
export async function runDo(opts: DoOptions): Promise<number> {
  const memoryFile = MemoryFile.create('tvisor-memory');
  const platform = new PtracePlatform(memoryFile);
  const filePages = new MemoryFilePages(memoryFile);
  const root = buildRootFilesystem({ hostRoot: opts.root, overlay: opts.overlay, pages: filePages });
  const kernel = new Kernel({ platform, syscalls: linux64SyscallTable(), memoryFile, root, strace: opts.strace, filePages });
  mountProcfs(root, createProcfs(kernel));
  kernel.onInternalError = (text) => opts.stderr(`runsc: ${opts.debug ? text : text.split('\n')[0]}\n`);
  try {
    spawnInit(kernel, { argv: opts.argv, envp: opts.env, cwd: opts.cwd });
  } catch (e) {
    platform.shutdown();
    if (e instanceof SysError) {
      opts.stderr(`runsc: ${opts.argv[0]}: ${strerror(e.errno)}\n`);
      return e.errno === Errno.ENOENT ? 127 : 126;
    }
    throw e;
  }
  const status = await kernel.run();
  memoryFile.close();
  return exitCodeOf(status);
}
