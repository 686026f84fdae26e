/**
 * One systrap stub process: a host process whose address space holds an
 * application's memory. ptrace is used once, to set it up: the sentry
 * injects the set-up syscalls (close every fd but the memory file, unmap
 * the host's mappings, map the doorbell and the first thread area, install
 * the signal handler and the alternate stack, then the seccomp filter),
 * points the thread at `thread_start` and detaches. From then on the stub
 * talks to the sentry only through its message slots.
 */
import { readFileSync } from 'node:fs';
import { MAP, PR, PROT, PTRACE_O, SA, SECCOMP, SECCOMP_FILTER_FLAG, Sigaction, Signal, Stack, SYS, SysError, Errno, WAIT } from '@tvisor/abi';
import { Registers, USER_REGS_SIZE, REG } from '@tvisor/platform';
import { buildStubFilter } from './stub-seccomp.js';
import { close, memfdCreate, MFD_CLOEXEC, spawn, writeAll } from '../native/libc.js';
import { allocNative, cont, detach, getRegs, setOptions, setRegs, wait, type NativeBuffer } from '../native/tracer.js';
import { takeListener } from '../native/notify.js';
import {
  buildStubElf,
  STUB_BASE,
  STUB_BATCH,
  STUB_DOORBELL,
  STUB_GADGET,
  STUB_HANDLER,
  STUB_RESULTS,
  STUB_TABLE,
  STUB_TABLE_CAPACITY,
  STUB_TABLE_ENTRY,
  STUB_THREAD_START,
  THREAD_AREA_SIZE,
  THREAD_STACK_OFFSET,
  USER_TOP,
} from './stub-image.js';

/** The stub's name on the host (its comm): what `ps` shows for a sandbox's processes, as on the ptrace platform. */
export const STUB_NAME = 'tvisor-stub';

/** The fd number of the memory file inside every stub. */
export const STUB_MEMFD = 3;
const UINT_MAX = 0xffff_ffff;

/** The signals the stub's handler takes: syscalls (SIGSYS), faults, and the platform's interrupt (SIGURG). */
export const HANDLED_SIGNALS: readonly number[] = [Signal.SIGSYS, Signal.SIGSEGV, Signal.SIGBUS, Signal.SIGFPE, Signal.SIGILL, Signal.SIGTRAP, Signal.SIGURG];

/** The memory the platform needs from mm: the memfd and a way to write two control pages. */
export interface StubMemory {
  readonly fd: number;
  allocate(length: number): number;
  bytes(offset: number, length: number): Uint8Array;
}

let stubImageFd = -1;
function stubImagePath(): string {
  if (stubImageFd < 0) {
    stubImageFd = memfdCreate(STUB_NAME, MFD_CLOEXEC);
    if (stubImageFd < 0) throw new Error('memfd_create for the stub failed');
    writeAll(stubImageFd, buildStubElf());
  }
  return `/proc/self/fd/${stubImageFd}`;
}

/** A stub just set up: its pid, and the sentry's fd of the seccomp listener that holds its mmaps. */
export interface StartedStub {
  pid: number;
  listener: number;
}

/**
 * Spawns a stub and sets it up through ptrace; on return it is detached
 * and on its way into its handler (its first message is the SIGTRAP of
 * `thread_start`).
 *
 * @param doorbellOffset memory-file offset of the doorbell page
 * @param area the first thread's area: where it goes in the stub and its memory-file offset
 */
export function startStub(memory: StubMemory, processGroup: number, doorbellOffset: number, area: { address: number; fileOffset: number }): StartedStub {
  const pid = spawn({ path: stubImagePath(), argv: [STUB_NAME], dup2: [[memory.fd, STUB_MEMFD]], processGroup });
  const [, status] = wait(pid, WAIT.ALL);
  if ((status & 0xff) !== 0x7f || ((status >> 8) & 0xff) !== Signal.SIGSTOP) {
    throw new SysError(Errno.EAGAIN, `stub ${pid} did not stop as expected (status 0x${status.toString(16)})`);
  }
  const setup = new StubSetup(pid, memory);
  try {
    setOptions(pid, PTRACE_O.EXITKILL);
    return { pid, listener: setup.run(doorbellOffset, area) };
  } catch (e) {
    process.kill(pid, 'SIGKILL');
    wait(pid, WAIT.ALL);
    throw e;
  }
}

/** The ptrace-driven set-up of one stub (the ptrace platform's injection, used once). */
class StubSetup {
  private readonly regs: NativeBuffer = allocNative(USER_REGS_SIZE);
  private readonly view = new Registers(this.regs.bytes);
  private readonly pending: number[][] = [];
  private table!: DataView;
  private results!: DataView;
  private resultsPage!: Uint8Array;

  constructor(
    private readonly pid: number,
    private readonly memory: StubMemory,
  ) {}

  /** Runs the set-up; returns the sentry's fd of the stub's seccomp listener. */
  run(doorbellOffset: number, area: { address: number; fileOffset: number }): number {
    getRegs(this.pid, this.regs);
    const control = this.memory.allocate(0x2000);
    this.table = dataView(this.memory.bytes(control, 0x1000));
    this.resultsPage = this.memory.bytes(control + 0x1000, 0x1000);
    this.results = dataView(this.resultsPage);
    const shared = MAP.SHARED | MAP.FIXED;
    this.check(this.injectOne(SYS.mmap, STUB_TABLE, 0x1000, PROT.READ, shared, STUB_MEMFD, control), 'map table');
    this.check(this.injectOne(SYS.mmap, STUB_RESULTS, 0x1000, PROT.READ | PROT.WRITE, shared, STUB_MEMFD, control + 0x1000), 'map results');
    this.queue(SYS.close_range, 0, STUB_MEMFD - 1, 0);
    this.queue(SYS.close_range, STUB_MEMFD + 1, UINT_MAX, 0);
    for (const [start, end] of hostMappings(this.pid)) {
      if (start >= STUB_BASE && end <= USER_TOP) continue;
      if (start >= 2 ** 47) continue; // [vsyscall] cannot be unmapped
      this.queue(SYS.munmap, start, end - start);
    }
    this.queue(SYS.mmap, STUB_DOORBELL, 0x1000, PROT.READ | PROT.WRITE, shared, STUB_MEMFD, doorbellOffset);
    this.queue(SYS.mmap, area.address, THREAD_AREA_SIZE, PROT.READ | PROT.WRITE, shared, STUB_MEMFD, area.fileOffset);
    // The results page, past the results: the name, the sigaction, the alternate stack, the filter.
    const NAME = 640;
    const ACTION_AT = 672;
    const ALTSTACK = 704;
    const FPROG = 736;
    const FILTER = 768;
    this.resultsPage.set(new TextEncoder().encode(`${STUB_NAME}\0`), NAME);
    this.queue(SYS.prctl, PR.SET_NAME, STUB_RESULTS + NAME);
    Sigaction.encode(this.results, ACTION_AT, {
      sa_handler: STUB_HANDLER,
      // Every signal blocked while the handler runs; SA_RESTORER because
      // x86-64 requires one (the handler never returns through it).
      sa_flags: SA.SIGINFO | SA.ONSTACK | SA.RESTORER,
      sa_restorer: STUB_THREAD_START,
      sa_mask: 0xffff_ffff_ffff_ffffn,
    });
    for (const sig of HANDLED_SIGNALS) this.queue(SYS.rt_sigaction, sig, STUB_RESULTS + ACTION_AT, 0, 8);
    Stack.encode(this.results, ALTSTACK, { ss_sp: area.address + THREAD_STACK_OFFSET, ss_flags: 0, ss_size: THREAD_AREA_SIZE - THREAD_STACK_OFFSET });
    this.queue(SYS.sigaltstack, STUB_RESULTS + ALTSTACK, 0);
    const filter = buildStubFilter();
    this.resultsPage.set(filter, FILTER);
    this.results.setUint16(FPROG, filter.length / 8, true);
    this.results.setBigUint64(FPROG + 8, BigInt(STUB_RESULTS + FILTER), true);
    this.queue(SYS.prctl, PR.SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    this.queue(SYS.seccomp, SECCOMP.SET_MODE_FILTER, SECCOMP_FILTER_FLAG.NEW_LISTENER, STUB_RESULTS + FPROG);
    const stubListener = this.flush();
    // The listener moves to the sentry: the stub keeps no fd but the memory file.
    const listener = takeListener(this.pid, stubListener);
    try {
      this.check(this.injectOne(SYS.close, stubListener), 'close the seccomp listener');
    } catch (e) {
      close(listener);
      throw e;
    }
    // The stub's first stop: its thread runs into `thread_start`'s int3 on its alternate stack.
    const v = this.view;
    v.ip = STUB_THREAD_START;
    v.sp = area.address + THREAD_AREA_SIZE;
    v.set(REG.orig_rax, -1);
    setRegs(this.pid, this.regs);
    detach(this.pid);
    return listener;
  }

  private queue(nr: number, ...args: number[]): void {
    if (this.pending.length === STUB_TABLE_CAPACITY) throw new SysError(Errno.ENOMEM, `stub ${this.pid}: set-up too long`);
    this.pending.push([nr, ...args]);
  }

  /** Runs the queued syscalls; returns the last one's result. */
  private flush(): number {
    const n = this.pending.length;
    for (let i = 0; i < n; i++) {
      const op = this.pending[i];
      for (let a = 0; a < 7; a++) this.table.setBigInt64(i * STUB_TABLE_ENTRY + a * 8, BigInt(op[a] ?? 0), true);
    }
    const r = this.view;
    r.set(REG.r12, STUB_TABLE);
    r.set(REG.r13, n);
    r.set(REG.r14, STUB_RESULTS);
    this.runTo(STUB_BATCH);
    for (let i = 0; i < n; i++) {
      const rc = Number(this.results.getBigInt64(i * 8, true));
      if (rc < 0 && rc > -4096) throw new SysError(-rc, `stub ${this.pid}: set-up syscall ${this.pending[i][0]} failed`);
    }
    this.pending.length = 0;
    return Number(this.results.getBigInt64((n - 1) * 8, true));
  }

  private injectOne(nr: number, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0): number {
    const r = this.view;
    r.set(REG.rax, nr);
    r.set(REG.rdi, a0);
    r.set(REG.rsi, a1);
    r.set(REG.rdx, a2);
    r.set(REG.r10, a3);
    r.set(REG.r8, a4);
    r.set(REG.r9, a5);
    this.runTo(STUB_GADGET);
    return r.getSigned(REG.rax);
  }

  /** Sets rip, lets the stub run to its int3, and reads the registers back. */
  private runTo(ip: number): void {
    const r = this.view;
    r.ip = ip;
    r.set(REG.orig_rax, -1);
    setRegs(this.pid, this.regs);
    cont(this.pid);
    for (;;) {
      const [, status] = wait(this.pid, WAIT.ALL);
      if ((status & 0xff) !== 0x7f) throw new SysError(Errno.EAGAIN, `stub ${this.pid} died during its set-up (status 0x${status.toString(16)})`);
      if (((status >> 8) & 0xff) === Signal.SIGTRAP) break;
      cont(this.pid);
    }
    getRegs(this.pid, this.regs);
  }

  private check(rc: number, what: string): void {
    if (rc < 0 && rc > -4096) throw new SysError(-rc, `stub ${this.pid}: ${what}`);
  }
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The stub's current host mappings, from /proc/PID/maps. */
function hostMappings(pid: number): Array<[number, number]> {
  const text = readFileSync(`/proc/${pid}/maps`, 'utf8');
  const out: Array<[number, number]> = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (m) out.push([parseInt(m[1], 16), parseInt(m[2], 16)]);
  }
  return out;
}
