/**
 * A stub process taken over with ptrace: spawned from the stub image, seized
 * at its self-stop, stripped of every host fd but the memory file and every
 * host mapping but its own, and from then on steered by injecting host
 * syscalls into it, one at a time (`gadget`) or a table at a time (`batch`).
 * The ptrace platform injects for the stub's whole life; the systrap
 * platform only to set the stub up, then detaches.
 */
import { readFileSync } from 'node:fs';
import { Errno, MAP, PR, PROT, PTRACE_EVENT, PTRACE_O, SECCOMP, Signal, SYS, SysError, WAIT } from '@tvisor/abi';
import { Registers, REG, USER_REGS_SIZE } from '@tvisor/platform';
import { allocNative, kill, spawn, type NativeBuffer } from '../native/libc.js';
import { cont, detach, getEventMsg, getRegs, setOptions, setRegs, wait } from '../native/tracer.js';
import {
  STUB_BASE,
  STUB_BATCH,
  STUB_CONTROL_END,
  STUB_GADGET,
  STUB_MEMFD,
  STUB_NAME,
  STUB_RESULTS,
  STUB_TABLE,
  STUB_TABLE_CAPACITY,
  STUB_TABLE_ENTRY,
  stubImagePath,
} from './stub-start.js';

/** The memory the platform needs from mm: the memfd and a way to write two control pages. */
export interface StubMemory {
  readonly fd: number;
  allocate(length: number): number;
  bytes(offset: number, length: number): Uint8Array;
}

/** How to start a stub. */
export interface StubStart {
  memory: StubMemory;
  /** The stub's whole text (STUB_START_CODE first); a module's constant, as its image is written once per code. */
  code: Uint8Array;
  /** Process group to join; 0 makes the stub lead a new one. */
  processGroup: number;
  /** PTRACE_O_* options besides EXITKILL (which every stub has: it dies with the sentry). */
  ptraceOptions: number;
}

const UINT_MAX = 0xffff_ffff;
/** Where data the injected syscalls point at starts in the results page: past the results of a full table. */
const STAGE_START = Math.ceil((STUB_TABLE_CAPACITY * 8) / 64) * 64;

interface PendingOp {
  nr: number;
  args: [number, number, number, number, number, number];
}

export class StubInjector {
  readonly pid: number;
  /** False once the stub's host process is known to be gone. */
  alive = true;
  /**
   * The stopped host thread that injections run on. Any thread of the stub
   * will do, as long as it is stopped: the ptrace platform points this at
   * the thread it is serving.
   */
  injector: number;
  /** Host threads of the stub resumed into application code and not yet seen stopped: injecting through one would steal its stops. */
  readonly runningThreads = new Set<number>();
  /** Registers used while injecting, so the application's stay untouched. */
  protected readonly injectRegs: NativeBuffer = allocNative(USER_REGS_SIZE);
  protected readonly injectView = new Registers(this.injectRegs.bytes);
  /** The tid of the last host thread an injected clone created (seen with PTRACE_O_TRACECLONE). */
  protected lastClone = 0;
  private readonly table: DataView;
  private readonly results: DataView;
  private readonly pending: PendingOp[] = [];
  /** Where the next staged bytes go in the results page. */
  private staged = STAGE_START;
  /** While true, a stub that dies in an injection fails with EAGAIN (what fork gives when it cannot make a process), else EIO. */
  private settingUp = true;

  /**
   * Starts a stub, waits for its self-stop and takes it over: traced with
   * EXITKILL and `ptraceOptions`, the control pages mapped, and queued (run
   * at the next flush) the closing of every host fd but the memory file and
   * the unmapping of every host-provided mapping (stack, vDSO). If any of
   * it fails the stub is killed and reaped, and the error thrown.
   */
  constructor(start: StubStart) {
    this.pid = spawn({ path: stubImagePath(start.code), argv: [STUB_NAME], dup2: [[start.memory.fd, STUB_MEMFD]], processGroup: start.processGroup });
    this.injector = this.pid;
    try {
      const [, status] = wait(this.pid, WAIT.ALL);
      if ((status & 0xff) !== 0x7f) this.alive = false;
      if ((status & 0xff) !== 0x7f || ((status >> 8) & 0xff) !== Signal.SIGSTOP) {
        throw new SysError(Errno.EAGAIN, `stub ${this.pid} did not stop as expected (status 0x${status.toString(16)})`);
      }
      setOptions(this.pid, PTRACE_O.EXITKILL | start.ptraceOptions);
      getRegs(this.pid, this.injectRegs);
      // Two single injections map the control pages; the rest of the set-up
      // then goes in batches (each round trip costs tens of us).
      const control = start.memory.allocate(0x2000);
      this.table = dataView(start.memory.bytes(control, 0x1000));
      this.results = dataView(start.memory.bytes(control + 0x1000, 0x1000));
      const shared = MAP.SHARED | MAP.FIXED;
      this.check(this.injectOne(SYS.mmap, STUB_TABLE, 0x1000, PROT.READ, shared, STUB_MEMFD, control), 'map table');
      this.check(this.injectOne(SYS.mmap, STUB_RESULTS, 0x1000, PROT.READ | PROT.WRITE, shared, STUB_MEMFD, control + 0x1000), 'map results');
      this.queue(SYS.close_range, 0, STUB_MEMFD - 1, 0);
      this.queue(SYS.close_range, STUB_MEMFD + 1, UINT_MAX, 0);
      for (const [begin, end] of hostMappings(this.pid)) {
        if (begin >= STUB_BASE && end <= STUB_CONTROL_END) continue; // the image and the control pages
        if (begin >= 2 ** 47) continue; // [vsyscall] cannot be unmapped
        this.queue(SYS.munmap, begin, end - begin);
      }
    } catch (e) {
      this.abandon();
      throw e;
    } finally {
      this.settingUp = false;
    }
  }

  /**
   * Runs a step of the stub's set-up: a stub that dies in it fails with
   * EAGAIN, and if the step throws, the stub is killed and reaped first.
   */
  setUp<T>(step: () => T): T {
    const outer = this.settingUp;
    this.settingUp = true;
    try {
      return step();
    } catch (e) {
      this.abandon();
      throw e;
    } finally {
      this.settingUp = outer;
    }
  }

  /**
   * The last of a set-up: names the stub for host tools (comm, what ps and
   * top show: exec'd from /proc/self/fd/N it would otherwise be called by
   * its fd number; its threads inherit the name), then confines it with
   * the seccomp `filter` (struct sock_filter[] bytes) installed with
   * `flags`, and runs everything queued. Returns the seccomp call's result
   * (a listener fd with SECCOMP_FILTER_FLAG_NEW_LISTENER).
   */
  confine(filter: Uint8Array, flags: number): number {
    const name = new TextEncoder().encode(`${STUB_NAME}\0`);
    this.queue(
      SYS.prctl,
      PR.SET_NAME,
      this.stage(name.length, (v, at) => new Uint8Array(v.buffer, v.byteOffset + at, name.length).set(name)),
      0,
      0,
      0,
    );
    const program = this.stage(filter.length, (v, at) => new Uint8Array(v.buffer, v.byteOffset + at, filter.length).set(filter));
    const fprog = this.stage(16, (v, at) => {
      v.setUint16(at, filter.length / 8, true);
      v.setBigUint64(at + 8, BigInt(program), true);
    });
    this.queue(SYS.prctl, PR.SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    this.queue(SYS.seccomp, SECCOMP.SET_MODE_FILTER, flags, fprog);
    return this.flush();
  }

  /**
   * Places `length` bytes, written by `write` at `at` in `view`, where the
   * stub's injected syscalls can read them (the results page, past the
   * results), and returns their address in the stub. Staged bytes stay for
   * the stub's life (a syscall queued later may still point at them): what
   * a set-up passes by pointer, some hundreds of bytes, not a stream.
   */
  stage(length: number, write: (view: DataView, at: number) => void): number {
    const at = this.staged;
    if (at + length > 0x1000) throw new SysError(Errno.ENOMEM, `stub ${this.pid}: no room to stage ${length} bytes`);
    this.staged = Math.ceil((at + length) / 16) * 16;
    write(this.results, at);
    return STUB_RESULTS + at;
  }

  /** Registers of the stub's initial thread (cs, ss, eflags as the host set them). */
  initialRegisters(into: Registers): void {
    into.copyFrom(this.injectView);
  }

  /** Queues one host syscall to run in the stub at the next flush (at once when a table is full and the injector is stopped). */
  queue(nr: number, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0): void {
    this.pending.push({ nr, args: [a0, a1, a2, a3, a4, a5] });
    if (this.pending.length >= STUB_TABLE_CAPACITY && !this.runningThreads.has(this.injector)) this.flush();
  }

  /**
   * Runs every queued syscall in round trips through the batch loop, and
   * throws if any failed: a mapping the sentry asked for and did not get
   * would desynchronise mm and the host. Returns the last one's result.
   */
  flush(): number {
    // Changes queued while the injector ran may exceed one table: a batch per table.
    let last = 0;
    while (this.pending.length > 0) last = this.flushBatch(Math.min(this.pending.length, STUB_TABLE_CAPACITY));
    return last;
  }

  private flushBatch(n: number): number {
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
    let rc = 0;
    for (let i = 0; i < n; i++) {
      rc = Number(this.results.getBigInt64(i * 8, true));
      if (rc < 0 && rc > -4096) throw new SysError(-rc, `stub ${this.pid}: injected syscall ${ops[i].nr} failed`);
    }
    return rc;
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

  /** Lets the stub go: its first thread runs on untraced from `ip` with stack `sp`. */
  detachAt(ip: number, sp: number): void {
    const r = this.injectView;
    r.ip = ip;
    r.sp = sp;
    r.set(REG.orig_rax, -1);
    setRegs(this.pid, this.injectRegs);
    detach(this.pid);
  }

  /** Throws `rc` as a SysError naming `what` if it is a failed syscall's result. */
  check(rc: number, what: string): void {
    if (rc < 0 && rc > -4096) throw new SysError(-rc, `stub ${this.pid}: ${what}`);
  }

  /** Sets rip, lets the injector thread run to its int3, and reads the registers back. */
  protected run(ip: number): void {
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
        const during = this.settingUp ? 'its set-up' : 'an injection';
        throw new SysError(
          this.settingUp ? Errno.EAGAIN : Errno.EIO,
          `stub ${this.pid}: thread ${tid} died during ${during} (status 0x${status.toString(16)})`,
        );
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

  /** Kills and reaps a stub whose set-up failed. */
  private abandon(): void {
    if (!this.alive) return;
    this.alive = false;
    kill(this.pid, Signal.SIGKILL);
    try {
      wait(this.pid, WAIT.ALL);
    } catch {
      // Reaped already (by whoever waits for the stub's process group): nothing left to do.
    }
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
