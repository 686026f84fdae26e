import { AUXV, Errno, MAP, PROT, S, SysError } from '@tvisor/abi';
import { MemoryManager, type MappableFile } from '@tvisor/mm';
import { mappableFile } from './mappable.js';
import type { FileDescription, VirtualDentry } from '@tvisor/vfs';
import { REG } from '@tvisor/platform';
import type { Kernel } from './kernel.js';
import { buildInitialStack, loadProgram, parseShebang, type LoaderFile, type LoaderMemory } from './loader/index.js';
import type { FdTable } from './fd-table.js';
import type { FsContext } from './fs-context.js';
import type { PlatformAddressSpace, PlatformContext } from '@tvisor/platform';
import { Task, ThreadGroup, type Credentials } from './task.js';
import { credentialsAfterExec, isSecureExec, type SetIdFile } from './credentials.js';
import { tracedExec } from './ptrace/stops.js';
import { ALTSTACK_INITIAL } from './signals/index.js';

/** Where every process's stack ends (just below the platform's reserved range) and how much is reserved for it. */
export const STACK_TOP = 0x7fff_ffef_0000;
export const STACK_SIZE = 8 * 1024 * 1024;
/**
 * `#!` rewrites before the program must be a binary: Linux's exec_binprm tries
 * handlers at depths 0..5, so five scripts may chain to an ELF; a sixth is ELOOP.
 */
const MAX_INTERPRETER_DEPTH = 5;
const HEADER_SIZE = 256;

export interface ExecRequest {
  path: string;
  argv: Array<string | Uint8Array>;
  envp: Array<string | Uint8Array>;
  /** execveat's AT_SYMLINK_NOFOLLOW: the program itself must not be a symlink (its `#!` interpreter may be). */
  noFollow?: boolean;
  /** The caller's no_new_privs: set-user-ID and set-group-ID bits are then ignored. */
  noNewPrivs?: boolean;
}

/** A program loaded into a fresh address space, ready to run. */
export interface LoadedImage {
  context: PlatformContext;
  mm: MemoryManager;
  /** The path execve was given (what AT_EXECFN names). */
  path: string;
  /** The executable's dentry as resolved at exec (the interpreter for `#!` scripts): /proc/PID/exe names it by its absolute path. */
  exe: VirtualDentry;
  name: string;
  argStart: number;
  argEnd: number;
  envStart: number;
  envEnd: number;
  /** The auxiliary vector on the initial stack, AT_NULL excluded (/proc/PID/auxv). */
  auxv: Array<readonly [number, number]>;
  /** Set when the image reuses the caller's host process: execve's point of no return hands it over. */
  commit?: () => void;
  /** The credentials the program runs with (execve's capability and set-id transformation). */
  creds: Credentials;
}

/** The ids a set-user-ID / set-group-ID executable confers, unless its mount is nosuid or no_new_privs is set. */
function setIdOf(file: FileDescription, noNewPrivs: boolean): SetIdFile {
  if (noNewPrivs || file.mount.flags.noSuid) return {};
  const st = file.stat();
  const out: SetIdFile = {};
  if (st.mode & S.ISUID) out.uid = st.uid;
  // Set-group-ID without group execute marks mandatory locking, not a set-gid program.
  if (st.mode & S.ISGID && st.mode & 0o010) out.gid = st.gid;
  return out;
}

/** The file as the ELF loader reads it; with `mappable` its segments are mapped from it (named in /proc/PID/maps). */
function loaderFile(file: FileDescription, mappable?: MappableFile): LoaderFile {
  const size = file.stat().size;
  return {
    size,
    mappable,
    read(offset, length) {
      const buf = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      let done = 0;
      while (done < buf.length) {
        const n = file.read(buf.subarray(done), offset + done);
        if (n === 0) break;
        done += n;
      }
      return buf.subarray(0, done);
    },
  };
}

/** mm's MemoryManager, seen as the loader's memory seam. */
function loaderMemory(mm: MemoryManager): LoaderMemory {
  return {
    mapAnonymous(addr, length, prot) {
      const fixed = addr !== undefined ? MAP.FIXED : 0;
      return mm.mmap({ addr: addr ?? 0, length, prot, flags: MAP.PRIVATE | MAP.ANONYMOUS | fixed });
    },
    write(addr, bytes) {
      mm.copyOut(addr, bytes);
    },
    protect(addr, length, prot) {
      mm.mprotect(addr, length, prot);
    },
    mapFile(addr, length, prot, file, offset) {
      mm.mmap({ addr, length, prot, flags: MAP.PRIVATE | MAP.FIXED, file: file.mappable as MappableFile, offset });
    },
  };
}

/** A program file as mmap sees it, private and sharing the page cache copy-on-write. */
function programMappable(kernel: Kernel, fs: FsContext, file: FileDescription): MappableFile {
  return mappableFile(file, fs.vfs.pathOf(file.vd, fs.root).path, { cache: kernel.pageCache });
}

/**
 * Opens `path` for execution: a regular file with execute permission,
 * following `#!` lines to their interpreter (the script path is passed as an
 * argument, like Linux does).
 */
function resolveProgram(fs: FsContext, creds: Credentials, req: ExecRequest, depth = 0): { file: FileDescription; argv: Array<string | Uint8Array> } {
  const file = fs.openExecutable(req.path, creds, { noFollow: req.noFollow });
  let shebang;
  try {
    shebang = parseShebang(loaderFile(file).read(0, HEADER_SIZE));
  } catch (e) {
    file.decRef();
    throw e;
  }
  if (!shebang) return { file, argv: req.argv };
  file.decRef();
  if (depth >= MAX_INTERPRETER_DEPTH) throw new SysError(Errno.ELOOP);
  const argv = [shebang.interpreter, ...(shebang.arg !== undefined ? [shebang.arg] : []), req.path, ...req.argv.slice(1)];
  return resolveProgram(fs, creds, { ...req, path: shebang.interpreter, argv, noFollow: false }, depth + 1);
}

/**
 * Loads `req.path` into a new address space from the platform: the program
 * (and its interpreter) loaded by the sentry — never execve'd on the host —
 * and the initial stack Linux would build. Nothing of the caller changes: a
 * failure leaves it as it was (execve's point of no return comes after).
 */
export function loadImage(kernel: Kernel, fs: FsContext, creds: Credentials, req: ExecRequest, reuse?: PlatformContext): LoadedImage {
  const { file, argv } = resolveProgram(fs, creds, req);
  const after = credentialsAfterExec(creds, setIdOf(file, req.noNewPrivs ?? false));
  const interpreters: FileDescription[] = [];
  let context: PlatformContext | undefined;
  try {
    // execve of a single-threaded process may keep its host process (no spawn).
    const created: { addressSpace: PlatformAddressSpace; context: PlatformContext; commit?: () => void } =
      (reuse && kernel.platform.reuseProcess?.(reuse)) || kernel.platform.newProcess();
    context = created.context;
    const mm = new MemoryManager(kernel.memoryFile, created.addressSpace, { stackTop: STACK_TOP });
    // Nothing runs in the new address space until it is complete: one flush at the end.
    return mm.batch(() => {
      const loaded = loadProgram({
        memory: loaderMemory(mm),
        file: loaderFile(file, programMappable(kernel, fs, file)),
        openInterp: (path) => {
          const interp = fs.openExecutable(path, creds);
          // Released with the program file, once its segments are mapped.
          interpreters.push(interp);
          return loaderFile(interp, programMappable(kernel, fs, interp));
        },
      });
      mm.setBrkStart(loaded.brkStart);
      mm.mmap({
        addr: STACK_TOP - STACK_SIZE,
        length: STACK_SIZE,
        prot: PROT.READ | PROT.WRITE | (loaded.execStack ? PROT.EXEC : 0),
        flags: MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED | MAP.GROWSDOWN,
        name: '[stack]',
      });
      const vdsoAddr = kernel.vdso.map(mm, STACK_TOP);
      const random = new Uint8Array(16);
      globalThis.crypto.getRandomValues(random);
      const stack = buildInitialStack({
        stackTop: STACK_TOP,
        argv,
        envp: req.envp,
        auxv: [
          // First, as Linux's ARCH_DLINFO puts it.
          [AUXV.SYSINFO_EHDR, vdsoAddr],
          ...loaded.auxv,
          [AUXV.PAGESZ, 4096],
          [AUXV.CLKTCK, 100],
          [AUXV.UID, after.uid],
          [AUXV.EUID, after.euid],
          [AUXV.GID, after.gid],
          [AUXV.EGID, after.egid],
          [AUXV.SECURE, isSecureExec(after) ? 1 : 0],
        ],
        execfn: req.path,
        platform: 'x86_64',
        random,
      });
      mm.copyOut(stack.sp, stack.bytes);

      const regs = created.context.regs;
      for (const r of [
        REG.rax,
        REG.rbx,
        REG.rcx,
        REG.rdx,
        REG.rsi,
        REG.rdi,
        REG.rbp,
        REG.r8,
        REG.r9,
        REG.r10,
        REG.r11,
        REG.r12,
        REG.r13,
        REG.r14,
        REG.r15,
        REG.fs_base,
        REG.gs_base,
      ]) {
        regs.set(r, 0);
      }
      regs.ip = loaded.entry;
      regs.sp = stack.sp;
      created.addressSpace.flush();
      const base = req.path.split('/').pop() ?? req.path;
      return {
        context: created.context,
        commit: created.commit,
        mm,
        path: req.path,
        exe: file.vd,
        name: base.slice(0, 15),
        argStart: stack.argStart,
        argEnd: stack.argEnd,
        envStart: stack.envStart,
        envEnd: stack.envEnd,
        creds: after,
        auxv: stack.auxv,
      };
    });
  } catch (e) {
    context?.kill();
    throw e;
  } finally {
    file.decRef();
    for (const interp of interpreters) interp.decRef();
  }
}

/** Creates a new process (a thread group with one task) running `image`. */
export function startProcess(
  kernel: Kernel,
  image: LoadedImage,
  env: { parent: ThreadGroup | undefined; fds: FdTable; fs: FsContext; creds: Credentials },
): ThreadGroup {
  const pid = kernel.allocateId();
  const group = new ThreadGroup(pid, env.parent, image.mm, env.fds, env.fs, env.creds, image.name);
  group.mmInfo = { argStart: image.argStart, argEnd: image.argEnd, envStart: image.envStart, envEnd: image.envEnd, exe: image.exe, auxv: image.auxv };
  const task = new Task(kernel, pid, group, image.context);
  group.tasks.add(task);
  env.parent?.children.add(group);
  kernel.addTask(task);
  return group;
}

/**
 * execve(2) past its point of no return: the task's process gets the new
 * image; the old address space is dropped, close-on-exec fds are closed,
 * caught signals go back to their default action.
 */
export function replaceImage(kernel: Kernel, task: Task, image: LoadedImage, formerTid = task.tid): void {
  const group = task.group;
  const old = task.context;
  image.commit?.();
  // The old memory stays with the processes that share it (clone with CLONE_VM): only this thread leaves it.
  const memoryShared = group.mm.shared;
  group.mm.release();
  group.mm = image.mm;
  task.replaceContext(image.context);
  if (memoryShared) kernel.platform.endThread(old);
  else old.kill();
  group.name = image.name;
  task.comm = image.name;
  group.mmInfo = { argStart: image.argStart, argEnd: image.argEnd, envStart: image.envStart, envEnd: image.envEnd, exe: image.exe, auxv: image.auxv };
  group.fds.closeOnExec();
  group.execed = true;
  // POSIX timers do not survive execve (interval timers from setitimer do).
  for (const timer of group.timers.values()) timer.cancel?.();
  group.timers.clear();
  group.signals.resetHandlersForExec();
  // The alternate signal stack lived in the old image: execve disables it (sigaltstack(2)).
  task.altStack = { ...ALTSTACK_INITIAL };
  task.clearChildTid = 0;
  kernel.execDone(task);
  tracedExec(kernel, task, formerTid);
}

/** Most argv/envp entries execve reads before giving up with E2BIG. */
const MAX_ARG_POINTERS = 0x20000;

/** A NULL-terminated array of C strings (argv, envp) from app memory. */
function readStringArray(t: Task, addr: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (addr === 0) return out;
  for (let i = 0; ; i++) {
    if (i >= MAX_ARG_POINTERS) throw new SysError(Errno.E2BIG);
    const p = new DataView(t.mm.copyIn(addr + i * 8, 8).buffer).getBigUint64(0, true);
    if (p === 0n) return out;
    out.push(t.mm.readCStringBytes(Number(p), 32 * 4096));
  }
}

/** execve of `path` with argv and envp read from app memory (execve and execveat). */
export function loadImageAndExec(t: Task, path: string, argvAddr: number, envpAddr: number, opts: { noFollow?: boolean } = {}): number {
  const argv = readStringArray(t, argvAddr);
  const envp = readStringArray(t, envpAddr);
  const image = loadImage(
    t.kernel,
    t.group.fs,
    t.creds,
    { path, argv, envp, noFollow: opts.noFollow, noNewPrivs: t.group.noNewPrivs },
    t.group.tasks.size === 1 && !t.mm.shared ? t.context : undefined,
  );
  const formerTid = t.tid;
  deThread(t);
  // Linux's unshare_files: a table shared through CLONE_FILES is copied before
  // close-on-exec runs, so the other sharers keep their descriptors.
  t.group.fds = t.group.fds.unshare();
  // The exec'ing thread, now the leader, gives the process its credentials.
  Object.assign(t.creds, image.creds);
  t.group.creds = t.creds;
  replaceImage(t.kernel, t, image, formerTid);
  return 0;
}

/**
 * execve past its point of no return (Linux's de_thread): every other
 * thread exits as with exit(2) (clear_child_tid and robust futexes handled
 * in the old memory), and a thread other than the leader becomes the leader,
 * taking the pid as its tid, so the parent's wait still finds the process.
 */
function deThread(t: Task): void {
  const kernel = t.kernel;
  const g = t.group;
  const others = [...g.tasks].filter((other) => other !== t);
  // Their host threads die with the old stub (killed here, so the platform
  // neither ends them one by one nor reports them gone), then each exits;
  // a stub another process shares (clone with CLONE_VM) lives on: they end one by one.
  for (const other of others) {
    if (g.mm.shared) kernel.platform.endThread(other.context);
    else other.context.kill();
  }
  for (const other of others) kernel.exitThread(other, 0);
  if (t.tid !== g.pid) {
    // The old leader is gone, and with it a PR_SET_PTRACER exception (Yama keys it by the leader).
    g.ptracerException = undefined;
    kernel.tasks.delete(t.tid);
    t.tid = g.pid;
    kernel.tasks.set(t.tid, t);
  }
}
