import { SYSCALL_NAMES, SYS, type SyscallName } from '@tvisor/abi';
import { asOneSyscall } from '@tvisor/vfs';
import type { Registers } from '@tvisor/platform';
import type { Task } from './task.js';

/**
 * How a syscall argument is shown by `--strace`. `buf:N` is a buffer whose
 * length is argument N; `str` is a NUL-terminated string.
 */
export type ArgKind = 'int' | 'uint' | 'hex' | 'ptr' | 'str' | 'fd' | 'dirfd' | 'oct' | `buf:${number}` | `iov:${number}`;

/** Whether a syscall does what Linux does: all of it, part of it (see note), or nothing (ENOSYS). */
export type Support = 'full' | 'partial' | 'enosys';

/**
 * A syscall handler. It returns the syscall's non-negative result or throws
 * `SysError` with the errno; `BLOCK` parks the task until something wakes it
 * (the handler arranged that and will be called again or complete the
 * syscall itself).
 */
export type SyscallHandler = (task: Task, args: Registers) => number;

export interface SyscallEntry {
  readonly nr: number;
  readonly name: string;
  readonly support: Support;
  readonly note: string;
  readonly args: readonly ArgKind[];
  readonly handler?: SyscallHandler;
}

export interface SyscallSpec {
  args: readonly ArgKind[];
  handler: SyscallHandler;
  /** 'partial' needs a note that says what is missing. */
  support?: 'full' | 'partial';
  note?: string;
}

/**
 * A handler run as one system call for inotify: a read or write the VFS
 * sees in several chunks (pages of the user buffer, iovecs, a sendfile
 * loop) reports one IN_ACCESS/IN_MODIFY, as Linux reports one per call.
 */
function oneSyscall(handler: SyscallHandler): SyscallHandler {
  return (task, args) => asOneSyscall(handler, task, args);
}

/**
 * The one syscall table: it dispatches, and it is what `runsc help syscalls`
 * prints, so the two cannot drift. Every number the host headers know has an
 * entry; one without a handler returns ENOSYS.
 */
export class SyscallTable {
  private readonly entries: SyscallEntry[] = [];

  constructor() {
    SYSCALL_NAMES.forEach((name, nr) => {
      if (name) this.entries[nr] = { nr, name, support: 'enosys', note: 'not implemented', args: [] };
    });
  }

  /** Registers a family of handlers by name. Registering one twice is a bug. */
  register(specs: Partial<Record<SyscallName, SyscallSpec>>): void {
    for (const [name, spec] of Object.entries(specs) as Array<[SyscallName, SyscallSpec]>) {
      const nr = SYS[name];
      const old = this.entries[nr];
      if (old?.handler) throw new Error(`syscall ${name} registered twice`);
      this.entries[nr] = {
        nr,
        name,
        support: spec.support ?? 'full',
        note: spec.note ?? '',
        args: spec.args,
        handler: oneSyscall(spec.handler),
      };
    }
  }

  /** Marks a syscall as deliberately unsupported, with the reason shown by `runsc help syscalls`. */
  unsupported(name: SyscallName, note: string, args: readonly ArgKind[] = []): void {
    const nr = SYS[name];
    this.entries[nr] = { nr, name, support: 'enosys', note, args };
  }

  lookup(nr: number): SyscallEntry | undefined {
    return nr >= 0 ? this.entries[nr] : undefined;
  }

  /** Every entry in number order. */
  all(): SyscallEntry[] {
    return this.entries.filter((e): e is SyscallEntry => e !== undefined);
  }
}
