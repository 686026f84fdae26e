import { Errno, SEGV, Signal, SysError, signalDefaultAction, signalName } from '@tvisor/abi';
import type { MemoryFile } from '@tvisor/mm';
import type { Platform, StopEvent } from './platform.js';
import { SyscallTable } from './syscalls/table.js';
import { registerAllSyscalls } from './syscalls/index.js';
import { formatResult, formatSyscallEntry } from './strace.js';
import type { Task, ThreadGroup } from './task.js';
import type { Uname } from './uname.js';
import { DEFAULT_UNAME } from './uname.js';
import type { FsRoot } from './fs-context.js';
import { KernelLog } from './klog.js';

export interface KernelOptions {
  platform: Platform;
  memoryFile: MemoryFile;
  /** The sandbox's filesystem root (a VFS and the dentry processes start at). */
  root: FsRoot;
  /** Called with one line per syscall when --strace is on. */
  strace?: (line: string) => void;
  uname?: Partial<Uname>;
}

/** How a wait status encodes an exit (wait(2)): code in bits 8-15, or the killing signal in 0-6. */
export function exitStatus(code: number): number {
  return (code & 0xff) << 8;
}
export function signalStatus(sig: number): number {
  return sig & 0x7f;
}

/**
 * The sentry's kernel: tasks, the syscall table and the loop that serves the
 * platform's stops.
 */
export class Kernel {
  readonly table = new SyscallTable();
  readonly platform: Platform;
  readonly memoryFile: MemoryFile;
  readonly root: FsRoot;
  readonly uname: Uname;
  readonly log = new KernelLog();
  readonly tasks = new Map<number, Task>();
  readonly startTime = Date.now();
  private readonly strace?: (line: string) => void;
  private nextId = 1;
  init: ThreadGroup | undefined;

  constructor(opts: KernelOptions) {
    this.platform = opts.platform;
    this.memoryFile = opts.memoryFile;
    this.root = opts.root;
    this.strace = opts.strace;
    this.uname = { ...DEFAULT_UNAME, ...opts.uname };
    registerAllSyscalls(this.table);
  }

  /** Allocates the next thread id (pids are thread group leaders' tids). */
  allocateId(): number {
    return this.nextId++;
  }

  /**
   * Serves stops until the init process has exited, and returns its wait
   * status. Blocking syscalls are not supported yet: every handler completes
   * synchronously, so the loop needs nothing but the platform's stops.
   */
  run(): number {
    for (const task of this.tasks.values()) this.platform.resume(task.context);
    for (;;) {
      const ev = this.platform.wait();
      if (!ev) break;
      this.handle(ev);
      if (this.init?.exitStatus !== undefined) break;
    }
    this.shutdown();
    return this.init?.exitStatus ?? exitStatus(0);
  }

  private handle(ev: StopEvent): void {
    const task = ev.context.owner as Task;
    switch (ev.kind) {
      case 'syscall':
        task.lastFault = -1;
        this.syscall(task);
        break;
      case 'fault': {
        if (ev.signal === Signal.SIGSEGV && this.fixFault(task, ev.code, ev.addr)) break;
        this.log.event(`pid ${task.group.pid} (${task.group.name}): ${signalName(ev.signal)} at 0x${ev.addr.toString(16)}, ip 0x${task.regs.ip.toString(16)}`);
        this.killGroup(task.group, ev.signal);
        return;
      }
      case 'signal':
        // A host signal reached the stub (e.g. a terminal's SIGINT): treat it
        // as sent to the process, which has no handlers delivered yet.
        if (signalDefaultAction(ev.signal) === 'ignore' || signalDefaultAction(ev.signal) === 'continue') break;
        this.killGroup(task.group, ev.signal);
        return;
      case 'gone':
        this.killGroup(task.group, Signal.SIGKILL);
        return;
    }
    if (!task.exited) this.platform.resume(task.context);
  }

  private syscall(task: Task): void {
    const regs = task.regs;
    const nr = regs.syscallNumber;
    const entry = this.table.lookup(nr);
    const shown = this.strace ? `[${task.tid}] ` + formatSyscallEntry(task, nr, entry) : '';
    let result: number;
    if (!entry?.handler) {
      result = -Errno.ENOSYS;
    } else {
      try {
        result = entry.handler(task, regs);
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
        result = -e.errno;
      }
    }
    if (task.exited) {
      if (this.strace) this.strace(`${shown} = ?`);
      return;
    }
    regs.setReturn(result);
    if (this.strace) this.strace(`${shown} ${formatResult(result)}`);
  }

  /**
   * A host SIGSEGV in the stub may just mean mm has not mirrored that page
   * yet (lazy population) or it is copy-on-write. The host's si_code tells
   * an unmapped page (populate it, as a read) from a protection mismatch
   * (retry as a write, which breaks COW); mm decides whether the access is
   * legal at all.
   */
  private fixFault(task: Task, code: number, addr: number): boolean {
    // The same fault twice in a row was not fixed by the first attempt (an
    // access mm allows but the host page cannot give, e.g. exec of a
    // no-exec page): deliver it.
    const again = task.lastFault === addr;
    task.lastFault = addr;
    if (again) return false;
    const result = task.mm.handleFault(addr, code === SEGV.ACCERR);
    if (result !== 'fixed') return false;
    task.mm.addressSpace.flush();
    return true;
  }

  /** Ends every thread of `group` and records its wait status. */
  exitGroup(group: ThreadGroup, status: number): void {
    if (group.exitStatus !== undefined) return;
    group.exitStatus = status;
    for (const t of group.tasks) {
      t.exited = true;
      this.tasks.delete(t.tid);
      t.context.kill();
    }
    group.fds.closeAll();
  }

  killGroup(group: ThreadGroup, sig: number): void {
    this.exitGroup(group, signalStatus(sig));
  }

  private shutdown(): void {
    for (const t of this.tasks.values()) this.exitGroup(t.group, signalStatus(Signal.SIGKILL));
    this.platform.shutdown();
  }
}

