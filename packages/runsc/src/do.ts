import { statSync } from 'node:fs';
import { Errno, SysError, strerror } from '@tvisor/abi';
import { ROOT_CREDENTIALS } from '@tvisor/vfs';
import { UserError } from './oci/errors.js';
import { Kernel, MemoryFilePages, createCgroupfs, createProcfs, createSysfs, exitCodeOf, linux64SyscallTable, spawnInit } from '@tvisor/kernel';
import { MemoryFile } from '@tvisor/mm';
import { PtracePlatform } from '@tvisor/platform-ptrace';
import { buildRootFilesystem, mountKernelFilesystems } from './rootfs.js';

export interface DoOptions {
  argv: string[];
  /** Host directory shown as the sandbox's root. */
  root: string;
  /** Working directory inside the sandbox. */
  cwd: string;
  /** The cwd was asked for (-cwd): a missing one is an error, not a fall back to /. */
  cwdGiven?: boolean;
  env: string[];
  strace?: (line: string) => void;
  /** Keep writes in memory (an overlay over the root) rather than read-only. */
  overlay: boolean;
  stderr: (s: string) => void;
  /** Print full diagnostics (stacks of sentry errors). */
  debug?: boolean;
  /** Suppress runsc's own messages (not the command's output). */
  quiet?: boolean;
}

const REASONS: Record<string, string> = { ENOENT: 'no such file or directory', ENOTDIR: 'not a directory', EACCES: 'permission denied' };

/** The root must be a host directory: one line naming it otherwise (exit 128, as gVisor). */
function checkRoot(root: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(root).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw new UserError(`Error resolving root: unable to access "${root}": ${REASONS[code] ?? code}`, 128);
  }
  if (!isDir) throw new UserError(`Error resolving root: unable to access "${root}": not a directory`, 128);
}

/**
 * `runsc do`: one sandbox, one command, the host root behind a copy-on-write
 * overlay. Returns the exit status to pass through (128+N for signal N).
 */
export async function runDo(opts: DoOptions): Promise<number> {
  checkRoot(opts.root);
  const memoryFile = MemoryFile.create('tvisor-memory');
  const platform = new PtracePlatform(memoryFile);
  const filePages = new MemoryFilePages(memoryFile);
  const root = buildRootFilesystem({ hostRoot: opts.root, overlay: opts.overlay, pages: filePages });
  const kernel = new Kernel({ platform, syscalls: linux64SyscallTable(), memoryFile, root, strace: opts.strace, filePages });
  mountKernelFilesystems(root, { proc: createProcfs(kernel), sys: createSysfs(), cgroup: createCgroupfs(kernel) });
  kernel.onInternalError = (text) => {
    if (!opts.quiet) opts.stderr(`runsc: ${opts.debug ? text : text.split('\n')[0]}\n`);
  };
  try {
    if (opts.cwdGiven) root.vfs.resolveDirectory(root.vfs.context(ROOT_CREDENTIALS), opts.cwd);
  } catch (e) {
    platform.shutdown();
    memoryFile.close();
    const reason = e instanceof SysError ? strerror(e.errno).toLowerCase() : String(e);
    throw new UserError(`Error resolving current directory: unable to access "${opts.cwd}": ${reason}`, 128);
  }
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
