/**
 * One stub process: a host process whose address space holds an
 * application's memory, steered entirely through ptrace. It implements the
 * mm AddressSpace seam by injecting mmap/munmap/mprotect into the stub, in
 * batches.
 */
import { readFileSync } from 'node:fs';
import { CLONE, Errno, MAP, PR, PROT, PTRACE_EVENT, PTRACE_O, SECCOMP, Signal, SYS, SysError, WAIT } from '@tvisor/abi';
import { buildStubFilter } from './stub-seccomp.js';
import { Registers, USER_REGS_SIZE, REG } from '@tvisor/platform';
import { close, memfdCreate, MFD_CLOEXEC, spawn, writeAll } from '../native/libc.js';
import { allocNative, cont, getEventMsg, getRegs, setOptions, setRegs, wait, type NativeBuffer } from '../native/tracer.js';
import {
  buildStubElf,
  STUB_BASE,
  STUB_BATCH,
  STUB_GADGET,
  STUB_RESERVED_END,
  STUB_RESULTS,
  STUB_TABLE,
  STUB_TABLE_CAPACITY,
  STUB_TABLE_ENTRY,
} from './stub-image.js';

/** The stub's name on the host (its comm, at most 15 bytes): what `ps` shows for a sandbox's processes. */
export const STUB_NAME = 'tvisor-stub';

/** The fd number of the memory file inside every stub. */
export const STUB_MEMFD = 3;
const UINT_MAX = 0xffff_ffff;

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

interface PendingOp {
  nr: number;
  args: [number, number, number, number, number, number];
}

export class StubProcess {
  readonly pid: number;
  /** Registers used while injecting, so the application's stay untouched. */
  private readonly injectRegs: NativeBuffer;
  private readonly injectView: Registers;
  private readonly table: DataView;
  private readonly results: DataView;
  private readonly pending: PendingOp[] = [];
  alive = true;
  /**
   * The stopped host thread that injections run on. Any thread of the stub
   * will do, as long as it is stopped: the platform points this at the
   * thread it is serving.
   */
  injector: number;
  /** Host threads of the stub resumed into application code and not yet seen stopped: injecting through one would steal its stops. */
  readonly runningThreads = new Set<number>();
  /** The tid of the last host thread an injected clone created. */
  private lastClone = 0;

  /**
   * Starts a stub, waits for its self-stop and takes it over: traced with
   * EXITKILL (the stub dies with the sentry), host fds other than the memory
   * file closed, every host-provided mapping (stack, vDSO) removed.
   */
  constructor(memory: StubMemory, processGroup: number) {
    this.pid = spawn({
      path: stubImagePath(),
      argv: [STUB_NAME],
      dup2: [[memory.fd, STUB_MEMFD]],
      processGroup,
    });
    this.injector = this.pid;
    const [, status] = wait(this.pid, WAIT.ALL);
    if ((status & 0xff) !== 0x7f || ((status >> 8) & 0xff) !== Signal.SIGSTOP) {
      throw new Error(`stub ${this.pid} did not stop as expected (status 0x${status.toString(16)})`);
    }
    // TRACECLONE: host threads the sentry creates in the stub (application
    // threads) are traced from their first instruction.
    setOptions(this.pid, PTRACE_O.EXITKILL | PTRACE_O.TRACESYSGOOD | PTRACE_O.TRACECLONE);
    this.injectRegs = allocNative(USER_REGS_SIZE);
    this.injectView = new Registers(this.injectRegs.bytes);
    getRegs(this.pid, this.injectRegs);

    // Two single injections map the control pages; everything else of the
    // set-up then goes in one batch (each round trip costs tens of us).
    const control = memory.allocate(0x2000);
    this.table = dataView(memory.bytes(control, 0x1000));
    this.results = dataView(memory.bytes(control + 0x1000, 0x1000));
    const shared = MAP.SHARED | MAP.FIXED;
    this.check(this.injectOne(SYS.mmap, STUB_TABLE, 0x1000, PROT.READ, shared, STUB_MEMFD, control), 'map table');
    this.check(this.injectOne(SYS.mmap, STUB_RESULTS, 0x1000, PROT.READ | PROT.WRITE, shared, STUB_MEMFD, control + 0x1000), 'map results');
    this.queue(SYS.close_range, 0, STUB_MEMFD - 1, 0);
    this.queue(SYS.close_range, STUB_MEMFD + 1, UINT_MAX, 0);
    for (const [start, end] of hostMappings(this.pid)) {
      if (start >= STUB_BASE && end <= STUB_RESERVED_END) continue;
      if (start >= 2 ** 47) continue; // [vsyscall] cannot be unmapped
      this.queue(SYS.munmap, start, end - start);
    }
    this.queueName(memory.bytes(control + 0x1000, 0x1000));
    this.queueSeccomp(memory.bytes(control + 0x1000, 0x1000));
    this.flush();
  }

  /**
   * Confines the stub with a seccomp filter (see stub-seccomp.ts): from here
   * on it can run nothing but the syscalls injections use. The filter is
   * passed through the results page, past the results themselves.
   */
  private queueSeccomp(resultsPage: Uint8Array): void {
    const filter = buildStubFilter();
    const FPROG = 1024;
    const FILTER = 1040;
    resultsPage.set(filter, FILTER);
    const v = new DataView(resultsPage.buffer, resultsPage.byteOffset, resultsPage.byteLength);
    v.setUint16(FPROG, filter.length / 8, true);
    v.setBigUint64(FPROG + 8, BigInt(STUB_RESULTS + FILTER), true);
    this.queue(SYS.prctl, PR.SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    this.queue(SYS.seccomp, SECCOMP.SET_MODE_FILTER, 0, STUB_RESULTS + FPROG);
  }

  /**
   * Names the stub for host tools (comm, what ps and top show): exec'd from
   * /proc/self/fd/N, it would otherwise be called by its fd number. Its
   * threads inherit the name. The string goes in the results page, past
   * the results of the set-up batch and before the seccomp program.
   */
  private queueName(resultsPage: Uint8Array): void {
    const NAME = 992;
    const name = new TextEncoder().encode(`${STUB_NAME}\0`);
    resultsPage.set(name, NAME);
    this.queue(SYS.prctl, PR.SET_NAME, STUB_RESULTS + NAME, 0, 0, 0);
  }

  /** Registers of the stub's initial thread (cs, ss, eflags as the host set them). */
  initialRegisters(into: Registers): void {
    into.copyFrom(this.injectView);
  }

  /** Queues one host syscall to run in the stub at the next flush. */
  queue(nr: number, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0): void {
    this.pending.push({ nr, args: [a0, a1, a2, a3, a4, a5] });
    if (this.pending.length >= STUB_TABLE_CAPACITY && !this.runningThreads.has(this.injector)) this.flush();
  }

  /**
   * Runs every queued syscall in one round trip through the batch loop, and
   * throws if any failed: a mapping the sentry asked for and did not get
   * would desynchronise mm and the host.
   */
  flush(): void {
    // Changes queued while the injector ran may exceed one table: a batch per table.
    while (this.pending.length > STUB_TABLE_CAPACITY) this.flushBatch(STUB_TABLE_CAPACITY);
    this.flushBatch(this.pending.length);
  }

  private flushBatch(n: number): void {
    if (n === 0) return;
    for (let i = 0; i < n; i++) {
      const op = this.pending[i];
      const base = i * STUB_TABLE_ENTRY;
      this.table.setBigInt64(base, BigInt(op.nr), true);
      for (let a = 0; a < 6; a++) this.table.setBigInt64(base + 8 + a * 8, BigInt(op.args[a]), true);
    }
    const r = this.injectView;
    r.set(REG.r12, STUB_TABLE);
    r.set(REG.r13, n);
    r.set(REG.r14, STUB_RESULTS);
    this.run(STUB_BATCH);
    const ops = this.pending.splice(0, n);
    for (let i = 0; i < n; i++) {
      const rc = Number(this.results.getBigInt64(i * 8, true));
      if (rc < 0 && rc > -4096) {
        throw new SysError(-rc, `stub ${this.pid}: injected syscall ${ops[i].nr} failed`);
      }
    }
  }

  /** Runs one host syscall in the stub now and returns its raw result. */
  injectOne(nr: number, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0): number {
    const r = this.injectView;
    r.set(REG.rax, nr);
    r.set(REG.rdi, a0);
    r.set(REG.rsi, a1);
    r.set(REG.rdx, a2);
    r.set(REG.r10, a3);
    r.set(REG.r8, a4);
    r.set(REG.r9, a5);
    this.run(STUB_GADGET);
    return r.getSigned(REG.rax);
  }

  /** Sets rip, lets the stub run to its int3, and reads the registers back. */
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

  private run(ip: number): void {
    const r = this.injectView;
    const tid = this.injector;
    r.ip = ip;
    r.set(REG.orig_rax, -1);
    setRegs(tid, this.injectRegs);
    cont(tid);
    for (;;) {
      const [, status] = wait(tid, WAIT.ALL);
      if ((status & 0xff) !== 0x7f) {
        if (tid === this.pid) this.alive = false;
        throw new SysError(Errno.EIO, `stub ${this.pid}: thread ${tid} died during an injection (status 0x${status.toString(16)})`);
      }
      const sig = (status >> 8) & 0xff;
      const event = status >>> 16;
      if (sig === Signal.SIGTRAP && event === PTRACE_EVENT.CLONE) {
        this.lastClone = getEventMsg(tid);
      } else if (sig === Signal.SIGTRAP && event === 0) {
        break;
      }
      // Otherwise a signal that reached the stub meanwhile (the platform's
      // SIGURG interrupt, a terminal's SIGINT): the stub never takes host
      // signals; the kernel learns of its own ones at the next stop.
      cont(tid);
    }
    getRegs(tid, this.injectRegs);
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

export { close };
