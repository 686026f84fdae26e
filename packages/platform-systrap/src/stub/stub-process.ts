/**
 * One systrap stub process: a host process whose address space holds an
 * application's memory. ptrace is used once, to set it up (platform-stub's
 * StubInjector): the sentry injects the set-up syscalls (close every fd but
 * the memory file, unmap the host's mappings, map the doorbell and the first
 * thread area, install the signal handler and the alternate stack, then the
 * seccomp filter), points the thread at `thread_start` and detaches. From
 * then on the stub talks to the sentry only through its message slots.
 */
import { MAP, PROT, SA, SECCOMP_FILTER_FLAG, Sigaction, Signal, Stack, SYS } from '@tvisor/abi';
import { close, STUB_MEMFD, StubInjector, type StubMemory } from '@tvisor/platform-stub';
import { buildStubFilter } from './stub-seccomp.js';
import { takeListener } from '../native/notify.js';
import { STUB_CODE, STUB_DOORBELL, STUB_HANDLER, STUB_THREAD_START, THREAD_AREA_SIZE, THREAD_STACK_OFFSET } from './stub-image.js';

export { STUB_MEMFD, STUB_NAME, type StubMemory } from '@tvisor/platform-stub';

/** The signals the stub's handler takes: syscalls (SIGSYS), faults, and the platform's interrupt (SIGURG). */
export const HANDLED_SIGNALS: readonly number[] = [Signal.SIGSYS, Signal.SIGSEGV, Signal.SIGBUS, Signal.SIGFPE, Signal.SIGILL, Signal.SIGTRAP, Signal.SIGURG];

/** A stub just set up: its pid, and the sentry's fd of the seccomp listener that holds its mmaps. */
export interface StartedStub {
  pid: number;
  listener: number;
}

/**
 * Spawns a stub and sets it up through ptrace; on return it is detached
 * and on its way into its handler (its first message is the SIGTRAP of
 * `thread_start`). If the set-up fails, the stub is killed and reaped.
 *
 * @param doorbellOffset memory-file offset of the doorbell page
 * @param area the first thread's area: where it goes in the stub and its memory-file offset
 */
export function startStub(memory: StubMemory, processGroup: number, doorbellOffset: number, area: { address: number; fileOffset: number }): StartedStub {
  const stub = new StubInjector({ memory, code: STUB_CODE, processGroup, ptraceOptions: 0 });
  const listener = stub.setUp(() => {
    const shared = MAP.SHARED | MAP.FIXED;
    stub.queue(SYS.mmap, STUB_DOORBELL, 0x1000, PROT.READ | PROT.WRITE, shared, STUB_MEMFD, doorbellOffset);
    stub.queue(SYS.mmap, area.address, THREAD_AREA_SIZE, PROT.READ | PROT.WRITE, shared, STUB_MEMFD, area.fileOffset);
    const action = stub.stage(Sigaction.size, (v, at) =>
      Sigaction.encode(v, at, {
        sa_handler: STUB_HANDLER,
        // Every signal blocked while the handler runs; SA_RESTORER because
        // x86-64 requires one (the handler never returns through it).
        sa_flags: SA.SIGINFO | SA.ONSTACK | SA.RESTORER,
        sa_restorer: STUB_THREAD_START,
        sa_mask: 0xffff_ffff_ffff_ffffn,
      }),
    );
    for (const sig of HANDLED_SIGNALS) stub.queue(SYS.rt_sigaction, sig, action, 0, 8);
    const altstack = stub.stage(Stack.size, (v, at) =>
      Stack.encode(v, at, { ss_sp: area.address + THREAD_STACK_OFFSET, ss_flags: 0, ss_size: THREAD_AREA_SIZE - THREAD_STACK_OFFSET }),
    );
    stub.queue(SYS.sigaltstack, altstack, 0);
    const stubListener = stub.confine(buildStubFilter(), SECCOMP_FILTER_FLAG.NEW_LISTENER);
    // The listener moves to the sentry: the stub keeps no fd but the memory file.
    const moved = takeListener(stub.pid, stubListener);
    try {
      stub.check(stub.injectOne(SYS.close, stubListener), 'close the seccomp listener');
    } catch (e) {
      close(moved);
      throw e;
    }
    // The stub's first stop: its thread runs into `thread_start`'s int3 on its alternate stack.
    stub.detachAt(STUB_THREAD_START, area.address + THREAD_AREA_SIZE);
    return moved;
  });
  return { pid: stub.pid, listener };
}
