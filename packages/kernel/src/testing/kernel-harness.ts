// An in-process kernel for unit tests: the real Kernel and syscall handlers
// on the shared fake platform of @tvisor/platform/testing, with a tmpfs root.
// No ptrace and no host process: the test plays the application, putting
// arguments in registers and user memory and handing the kernel a stop.
import { MAP, PROT } from '@tvisor/abi';
import { MemoryManager, type MemoryFile } from '@tvisor/mm';
import { REG, type StopEvent } from '@tvisor/platform';
import { FakeContext, FakePlatform } from '@tvisor/platform/testing';
import { TmpfsFilesystem, VirtualFilesystem } from '@tvisor/vfs';
import { expect } from 'vitest';
import { FdTable } from '../fd-table.js';
import { FsContext } from '../fs-context.js';
import { ROOT_CREDENTIALS } from '../init.js';
import { Kernel } from '../kernel.js';
import { linux64SyscallTable } from '../linux64.js';
import { Task, ThreadGroup, type Credentials } from '../task.js';
import { copyCredentials } from '../credentials.js';

/** Where each process's scratch memory (syscall arguments and results) is mapped. */
export const SCRATCH = 0x10_0000;
/** Size of the scratch mapping. */
export const SCRATCH_SIZE = 0x10_000;

export class KernelHarness {
  readonly platform = new FakePlatform();
  readonly kernel: Kernel;
  /** Next free scratch address per process, for `alloc`. */
  private readonly scratchTop = new WeakMap<ThreadGroup, number>();

  constructor(
    private readonly memoryFile: MemoryFile,
    opts: { namespaceInit?: boolean } = {},
  ) {
    const vfs = new VirtualFilesystem(new TmpfsFilesystem());
    this.kernel = new Kernel({ platform: this.platform, syscalls: linux64SyscallTable(), memoryFile, root: { vfs, root: vfs.root() }, ...opts });
  }

  /** A new running process (a child of `parent`, if given) with scratch memory mapped and `creds` (root by default). */
  newProcess(parent?: ThreadGroup, creds: Credentials = ROOT_CREDENTIALS): Task {
    const { kernel, platform } = this;
    const { addressSpace, context } = platform.newProcess();
    const mm = new MemoryManager(this.memoryFile, addressSpace, { stackTop: 0x7fff_0000_0000 });
    mm.mmap({ addr: SCRATCH, length: SCRATCH_SIZE, prot: PROT.READ | PROT.WRITE, flags: MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED });
    const { vfs, root } = kernel.root;
    const pid = kernel.allocateId();
    // One credentials object for the process and its FsContext, as spawnInit and clone arrange.
    const own = copyCredentials(creds);
    const fs = new FsContext(vfs, root, root, own);
    const g = new ThreadGroup(pid, parent, mm, new FdTable(), fs, own, 'test');
    const task = new Task(kernel, pid, g, context);
    g.tasks.add(task);
    parent?.children.add(g);
    kernel.addTask(task);
    kernel.init ??= g;
    platform.resume(context);
    return task;
  }

  /** A new running thread in `t`'s process. */
  newThread(t: Task): Task {
    const task = new Task(this.kernel, this.kernel.allocateId(), t.group, this.platform.newThread(t.context));
    // Its own credentials, as clone gives a thread.
    task.creds = copyCredentials(t.creds);
    t.group.tasks.add(task);
    this.kernel.addTask(task);
    this.platform.resume(task.context);
    return task;
  }

  /** The fake platform context of `t`. */
  ctx(t: Task): FakeContext {
    return t.context as FakeContext;
  }

  /** Hands the kernel a stop, as its run loop would. */
  serve(ev: StopEvent): void {
    (this.kernel as unknown as { handleSafely(ev: StopEvent): void }).handleSafely(ev);
  }

  /** `t` makes syscall `nr`: served like a platform syscall stop. Returns rax (-errno on error), or undefined while it is parked. */
  syscall(t: Task, nr: number, ...args: number[]): number | undefined {
    const c = this.ctx(t);
    expect(c.running, `task ${t.tid} runs before its syscall`).toBe(true);
    const regs = t.regs;
    regs.set(REG.orig_rax, nr);
    [REG.rdi, REG.rsi, REG.rdx, REG.r10, REG.r8, REG.r9].forEach((r, i) => regs.set(r, args[i] ?? 0));
    this.serve(c.stop('syscall', {}));
    return this.kernel.blocked.has(t) ? undefined : regs.getSigned(REG.rax);
  }

  /** A running task stops for the interrupt the kernel asked for. */
  takeInterrupt(t: Task): void {
    const c = this.ctx(t);
    expect(c.interruptRequested, `task ${t.tid} was asked to stop`).toBe(true);
    this.serve(c.stop('interrupt', {}));
  }

  /** Reserves `length` bytes (8-aligned) of `t`'s scratch memory, filled with `init` if given. */
  alloc(t: Task, length: number, init?: Uint8Array): number {
    const addr = this.scratchTop.get(t.group) ?? SCRATCH;
    const next = addr + ((length + 7) & ~7);
    if (next > SCRATCH + SCRATCH_SIZE) throw new Error('scratch memory exhausted');
    this.scratchTop.set(t.group, next);
    t.mm.copyOut(addr, init ?? new Uint8Array(length));
    return addr;
  }

  /** A NUL-terminated copy of `s` in `t`'s memory. */
  cstr(t: Task, s: string): number {
    const bytes = new TextEncoder().encode(s);
    const buf = new Uint8Array(bytes.length + 1);
    buf.set(bytes);
    return this.alloc(t, buf.length, buf);
  }

  /** `length` bytes of `t`'s memory at `addr`. */
  read(t: Task, addr: number, length: number): Uint8Array {
    return t.mm.copyIn(addr, length);
  }

  /** A little-endian view of `length` bytes of `t`'s memory at `addr`. */
  view(t: Task, addr: number, length: number): DataView {
    const b = this.read(t, addr, length);
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
}
