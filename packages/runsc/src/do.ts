import { statSync } from 'node:fs';
import { Errno, Signal, SysError, strerror } from '@tvisor/abi';
import {
  Devpts,
  registerTunDevice,
  Kernel,
  MemoryFilePages,
  createCgroupfs,
  createProcfs,
  createSysfs,
  exitCodeOf,
  hostIsatty,
  linux64SyscallTable,
  spawnInit,
  useHostNetwork,
} from '@tvisor/kernel';
import { ROOT_CREDENTIALS, type FileDescription } from '@tvisor/vfs';
import { MemoryFile } from '@tvisor/mm';
import { createPlatform, type PlatformName } from './platforms.js';
import { UserError } from './oci/errors.js';
import { buildRootFilesystem, mountDevpts, mountKernelFilesystems } from './rootfs.js';
import { Console } from './console.js';
import { forwardSignals } from './signal-forwarding.js';
import { SandboxLink } from './sandbox-network.js';
import { commandLine } from './command-line.js';

export interface DoOptions {
  argv: string[];
  /** The platform that runs the command (--platform). */
  platform?: PlatformName;
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
  /** With -network=sandbox: the sandbox's eth0 address (-ip), on a veth to a new network namespace. */
  sandboxIp?: string;
  /** -network=host: inet sockets are host sockets the sentry owns. */
  hostNetwork?: boolean;
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
  checkRoot(opts.root);
  const memoryFile = MemoryFile.create('tvisor-memory');
  let platform;
  try {
    platform = createPlatform(opts.platform ?? 'ptrace', memoryFile);
  } catch (e) {
    memoryFile.close();
    throw e;
  }
  const filePages = new MemoryFilePages(memoryFile);
  const root = buildRootFilesystem({ hostRoot: opts.root, overlay: opts.overlay, pages: filePages });
  const kernel = new Kernel({ platform, syscalls: linux64SyscallTable(), memoryFile, root, strace: opts.strace, filePages, commandLine: commandLine() });
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
  if (opts.hostNetwork) useHostNetwork(kernel);
  let link: SandboxLink | undefined;
  try {
    if (opts.sandboxIp !== undefined) link = SandboxLink.create(kernel, opts.sandboxIp, opts.stderr);
  } catch (e) {
    platform.shutdown();
    memoryFile.close();
    throw e;
  }
  const devpts = new Devpts(kernel);
  registerTunDevice(kernel);
  mountDevpts(root, devpts);
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
    init = spawnInit(kernel, { argv: opts.argv, envp: opts.env, cwd: opts.cwd, stdio: [0, 1, 2].map((fd) => stdio(fd) ?? fd) });
  } catch (e) {
    console?.close();
    link?.close();
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
    link?.close();
    memoryFile.close();
  }
}
