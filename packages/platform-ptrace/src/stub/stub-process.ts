/**
 * One stub process of the ptrace platform: a host process whose address
 * space holds an application's memory, steered entirely through ptrace. Its
 * set-up and the injection of mmap/munmap/mprotect in batches (the mm
 * AddressSpace seam) are platform-stub's StubInjector; this adds the
 * seccomp confinement, and host threads for application threads.
 */
import { CLONE, Errno, PTRACE_O, SysError, SYS, WAIT } from '@tvisor/abi';
import { Registers, REG } from '@tvisor/platform';
import { cont, setRegs, STUB_GADGET, StubInjector, wait, type NativeBuffer, type StubMemory } from '@tvisor/platform-stub';
import { buildStubFilter } from './stub-seccomp.js';
import { STUB_CODE } from './stub-image.js';

export { STUB_MEMFD, STUB_NAME, type StubMemory } from '@tvisor/platform-stub';

export class StubProcess extends StubInjector {
  /**
   * Starts a stub and takes it over (see StubInjector): traced with
   * TRACECLONE too, so host threads the sentry creates in the stub
   * (application threads) are traced from their first instruction; then
   * confined by a seccomp filter (see stub-seccomp.ts): from here on it can
   * run nothing but the syscalls injections use.
   */
  constructor(memory: StubMemory, processGroup: number) {
    super({ memory, code: STUB_CODE, processGroup, ptraceOptions: PTRACE_O.TRACESYSGOOD | PTRACE_O.TRACECLONE });
    this.setUp(() => this.confine(buildStubFilter(), 0));
  }

  /**
   * Creates a host thread in the stub (sharing its memory) for a new
   * application thread, and returns its tid once it is stopped and traced,
   * before it ran a single instruction.
   */
  cloneThread(): number {
    const flags = CLONE.VM | CLONE.FS | CLONE.FILES | CLONE.SIGHAND | CLONE.THREAD | CLONE.SYSVSEM;
    this.lastClone = 0;
    const rc = this.injectOne(SYS.clone, flags, 0, 0, 0, 0);
    this.check(rc, 'clone a thread');
    const tid = this.lastClone || rc;
    const [, status] = wait(tid, WAIT.ALL);
    if ((status & 0xff) !== 0x7f) throw new SysError(Errno.EIO, `stub thread ${tid} did not stop (status 0x${status.toString(16)})`);
    return tid;
  }

  /** Ends host thread `tid` of the stub with a real exit(2) run in it; the stub's other threads go on. */
  exitThread(tid: number, regs: NativeBuffer): void {
    const view = new Registers(regs.bytes);
    view.copyFrom(this.injectView);
    view.set(REG.rax, SYS.exit);
    view.set(REG.rdi, 0);
    view.ip = STUB_GADGET;
    view.set(REG.orig_rax, -1);
    setRegs(tid, regs);
    cont(tid);
    for (;;) {
      const [, status] = wait(tid, WAIT.ALL);
      if ((status & 0xff) !== 0x7f) return;
      cont(tid);
    }
  }
}
