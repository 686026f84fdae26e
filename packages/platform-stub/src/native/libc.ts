/**
 * The libc calls a stub platform makes to start and steer its stubs, through
 * koffi. Nothing outside src/native/ touches pointers; callers get numbers
 * and typed arrays.
 *
 * Pointers are koffi's bigint addresses. Integer arguments that may carry
 * either a value or an address are declared `uintptr_t`.
 */
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');

const ptrace_ = libc.func('long ptrace(long request, int pid, uintptr_t addr, uintptr_t data)');
const waitpid_ = libc.func('int waitpid(int pid, uintptr_t status, int options)');
const kill_ = libc.func('int kill(int pid, int sig)');
const tgkill_ = libc.func('int tgkill(int tgid, int tid, int sig)');
const memfd_create_ = libc.func('int memfd_create(const char *name, unsigned int flags)');
const write_ = libc.func('long write(int fd, const uint8_t *buf, size_t count)');
const close_ = libc.func('int close(int fd)');
const posix_spawn_ = libc.func(
  'int posix_spawn(_Out_ int *pid, const char *path, uintptr_t fileActions, uintptr_t attr, const char **argv, const char **envp)',
);
const spawnattr_init_ = libc.func('int posix_spawnattr_init(uintptr_t attr)');
const spawnattr_destroy_ = libc.func('int posix_spawnattr_destroy(uintptr_t attr)');
const spawnattr_setflags_ = libc.func('int posix_spawnattr_setflags(uintptr_t attr, short flags)');
const spawnattr_setpgroup_ = libc.func('int posix_spawnattr_setpgroup(uintptr_t attr, int pgroup)');
const spawnattr_setsigmask_ = libc.func('int posix_spawnattr_setsigmask(uintptr_t attr, uintptr_t sigset)');
const spawnattr_setsigdefault_ = libc.func('int posix_spawnattr_setsigdefault(uintptr_t attr, uintptr_t sigset)');
const file_actions_init_ = libc.func('int posix_spawn_file_actions_init(uintptr_t fa)');
const file_actions_destroy_ = libc.func('int posix_spawn_file_actions_destroy(uintptr_t fa)');
const file_actions_adddup2_ = libc.func('int posix_spawn_file_actions_adddup2(uintptr_t fa, int fd, int newfd)');
const sigemptyset_ = libc.func('int sigemptyset(uintptr_t set)');
const sigfillset_ = libc.func('int sigfillset(uintptr_t set)');

/** glibc's posix_spawn flags (spawn.h); checked against the header by a test. */
export const POSIX_SPAWN_SETPGROUP = 0x02;
export const POSIX_SPAWN_SETSIGDEF = 0x04;
export const POSIX_SPAWN_SETSIGMASK = 0x08;
/** memfd_create(2) flags (linux/memfd.h); checked by a test. */
export const MFD_CLOEXEC = 0x1;

/** Native memory that stays put for the process lifetime, viewed from JS. */
export interface NativeBuffer {
  readonly address: bigint;
  readonly bytes: ArrayBuffer;
}

export function allocNative(size: number): NativeBuffer {
  const ptr = koffi.alloc('uint8', size) as unknown as bigint;
  const address = koffi.address(ptr) as bigint;
  return { address, bytes: koffi.view(ptr, size) as ArrayBuffer };
}

/** The calling thread's errno after the last failed call. */
export function errno(): number {
  return koffi.errno() as number;
}

/** ptrace(2); returns -1 with errno() on failure. */
export function ptrace(request: number, pid: number, addr: number | bigint, data: number | bigint): number {
  return Number(ptrace_(request, pid, addr, data));
}

/** waitpid(2) storing the status at native address `statusAddr`. */
export function waitpid(pid: number, statusAddr: bigint, options: number): number {
  return waitpid_(pid, statusAddr, options) as number;
}

export function kill(pid: number, sig: number): number {
  return kill_(pid, sig) as number;
}

export function tgkill(tgid: number, tid: number, sig: number): number {
  return tgkill_(tgid, tid, sig) as number;
}

export function memfdCreate(name: string, flags: number): number {
  return memfd_create_(name, flags) as number;
}

export function writeAll(fd: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) {
    const n = Number(write_(fd, data.subarray(done), data.length - done));
    if (n < 0) throw new Error(`write: errno ${errno()}`);
    done += n;
  }
}

export function close(fd: number): void {
  close_(fd);
}

export interface SpawnOptions {
  path: string;
  argv: string[];
  /** [oldfd, newfd] pairs duplicated into the child. */
  dup2: Array<[number, number]>;
  /** Process group to join; 0 starts a new group led by the child. */
  processGroup: number;
}

const SPAWN_SCRATCH = allocNative(1024);

/**
 * posix_spawn(3) with an empty signal mask and default dispositions for every
 * signal (Node ignores SIGPIPE, and ignored signals survive exec).
 * Returns the child's pid; throws on failure.
 */
export function spawn(opts: SpawnOptions): number {
  const base = SPAWN_SCRATCH.address;
  const attr = base; // posix_spawnattr_t: 336 bytes
  const fa = base + 512n; // posix_spawn_file_actions_t: 80 bytes
  const sigset = base + 640n; // sigset_t: 128 bytes
  const sigdef = base + 768n;
  spawnattr_init_(attr);
  file_actions_init_(fa);
  try {
    sigemptyset_(sigset);
    sigfillset_(sigdef);
    spawnattr_setflags_(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    spawnattr_setpgroup_(attr, opts.processGroup);
    spawnattr_setsigmask_(attr, sigset);
    spawnattr_setsigdefault_(attr, sigdef);
    for (const [from, to] of opts.dup2) file_actions_adddup2_(fa, from, to);
    const pid = [0];
    const rc = posix_spawn_(pid, opts.path, fa, attr, [...opts.argv, null], [null]) as number;
    if (rc !== 0) throw new Error(`posix_spawn ${opts.path}: error ${rc}`);
    return pid[0];
  } finally {
    file_actions_destroy_(fa);
    spawnattr_destroy_(attr);
  }
}
