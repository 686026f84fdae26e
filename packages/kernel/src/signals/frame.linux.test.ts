// Differential tests: Linux builds a frame for a traced child, we build one
// from what the tracer saw (registers, XSAVE area, siginfo, mask), and the
// two must agree field by field; then Linux's rt_sigreturn of an edited
// frame must equal ours.
import { RtSigframe, SA, SEGV, SI, Signal, sigmask } from '@tvisor/abi';
import type { Sigaction } from '@tvisor/abi';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AltStack } from './altstack.js';
import { ALTSTACK_DISABLED, ALTSTACK_INITIAL, reportedAltStackFlags } from './altstack.js';
import { FX_SW_BYTES_OFFSET, FXSAVE_SIZE, XSAVE_HEADER_SIZE } from './constants.js';
import type { XsaveLayout } from './fpu.js';
import { xsaveLayoutFromPtrace } from './fpu.js';
import type { SignalFrameBuilt } from './frame.js';
import { buildSignalFrame, restoreFromSigreturn } from './frame.js';
import { memoryAt } from './memory.js';
import { GREG, readGeneralRegisters } from './registers.js';
import { sigInfoFault, sigInfoKill } from './siginfo.js';
import { pageFaultTrap } from './trap.js';
import { Oracles, runLines } from './testing/native.js';
import type { HandlerRun, ProbeRun } from './testing/sigframe-probe.js';
import { parseProbe } from './testing/sigframe-probe.js';
import { effectiveXstate } from './testing/xstate.js';

/** The probe's fault reads address 0x18 from user mode: a not-present page fault. */
const FAULT_ADDR = 0x18;
const X86_TRAP_PF = 14n;
const X86_PF_USER = 4n;

let oracles: Oracles;
let probe: string;
beforeAll(() => {
  oracles = new Oracles();
  probe = oracles.compile('sigframe-probe');
});
afterAll(() => oracles.dispose());

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

interface Scenario {
  name: string;
  trigger: 'kill' | 'fault' | 'nested';
  alt: 'none' | 'on' | 'autodisarm';
  flags: number;
  mask: bigint;
}

const SCENARIOS: Scenario[] = [
  { name: 'kill(2), no sigaltstack', trigger: 'kill', alt: 'none', flags: 0, mask: 0n },
  { name: 'kill(2), sigaltstack set but handler without SA_ONSTACK', trigger: 'kill', alt: 'on', flags: 0, mask: 0n },
  { name: 'kill(2), SA_ONSTACK switches to the sigaltstack', trigger: 'kill', alt: 'on', flags: SA.ONSTACK, mask: 0n },
  { name: 'kill(2), SA_ONSTACK with SS_AUTODISARM', trigger: 'kill', alt: 'autodisarm', flags: SA.ONSTACK, mask: 0n },
  { name: 'kill(2), SS_AUTODISARM stack but handler without SA_ONSTACK', trigger: 'kill', alt: 'autodisarm', flags: 0, mask: 0n },
  { name: 'read fault, no sigaltstack', trigger: 'fault', alt: 'none', flags: 0, mask: 0n },
  { name: 'read fault, SA_ONSTACK', trigger: 'fault', alt: 'on', flags: SA.ONSTACK, mask: 0n },
  { name: 'nested signal while on the sigaltstack', trigger: 'nested', alt: 'on', flags: SA.ONSTACK, mask: 0n },
  { name: 'nested signal after SS_AUTODISARM', trigger: 'nested', alt: 'autodisarm', flags: SA.ONSTACK, mask: 0n },
  {
    name: 'SA_NODEFER | SA_RESETHAND with an sa_mask',
    trigger: 'kill',
    alt: 'none',
    flags: SA.NODEFER | SA.RESETHAND,
    mask: sigmask(Signal.SIGUSR2) | sigmask(Signal.SIGRTMIN + 1),
  },
];

function runScenario(s: Scenario): ProbeRun {
  return parseProbe(runLines(probe, [s.trigger, s.alt, hex(s.flags), `0x${s.mask.toString(16)}`]));
}

function actionOf(run: ProbeRun): Sigaction {
  return { sa_handler: run.action.handler, sa_flags: run.action.flags, sa_restorer: run.action.restorer, sa_mask: run.action.mask };
}

function decodeFrame(bytes: Uint8Array) {
  return RtSigframe.decode(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0);
}

/** Asserts the FP areas agree wherever Linux wrote them (it leaves bytes of components not in use untouched). */
function expectSameFpArea(linux: Uint8Array, ours: Uint8Array, layout: XsaveLayout): void {
  expect(ours.length).toBe(linux.length);
  expect(Buffer.from(ours.subarray(0, FX_SW_BYTES_OFFSET)).toString('hex')).toBe(Buffer.from(linux.subarray(0, FX_SW_BYTES_OFFSET)).toString('hex'));
  expect(Buffer.from(ours.subarray(FX_SW_BYTES_OFFSET, FXSAVE_SIZE + XSAVE_HEADER_SIZE)).toString('hex')).toBe(
    Buffer.from(linux.subarray(FX_SW_BYTES_OFFSET, FXSAVE_SIZE + XSAVE_HEADER_SIZE)).toString('hex'),
  );
  expect(effectiveXstate(ours, layout)).toEqual(effectiveXstate(linux, layout));
  expect(Buffer.from(ours.subarray(layout.size)).toString('hex')).toBe(Buffer.from(linux.subarray(layout.size)).toString('hex'));
}

function buildFor(scenario: Scenario, run: ProbeRun, h: HandlerRun, alt: AltStack): { built: SignalFrameBuilt; layout: XsaveLayout } {
  const layout = xsaveLayoutFromPtrace(h.delivery.xstate);
  const siginfo = h.delivery.siginfo;
  if (siginfo === undefined) throw new Error('delivery without siginfo');
  const result = buildSignalFrame({
    regs: h.delivery.regs,
    fpState: h.delivery.xstate,
    fpu: layout,
    signo: h.sig,
    siginfo,
    savedMask: h.delivery.blocked,
    altStack: alt,
    action: actionOf(run),
    trap:
      h.sig === Signal.SIGSEGV && scenario.trigger === 'fault' ? pageFaultTrap(BigInt(FAULT_ADDR), { present: false, write: false, fetch: false }) : undefined,
  });
  if (!result.ok) throw new Error(`frame not built: ${result.reason}`);
  return { built: result, layout };
}

describe.each(SCENARIOS)('Linux builds the frame we build: $name', (scenario) => {
  let run: ProbeRun;
  let builds: { built: SignalFrameBuilt; layout: XsaveLayout }[];
  beforeAll(() => {
    run = runScenario(scenario);
    // The probe never called sigaltstack(2) for 'none': the initial state, not the SS_DISABLE the query reports.
    let alt: AltStack = scenario.alt === 'none' ? ALTSTACK_INITIAL : run.altStack;
    builds = run.runs.map((h) => {
      const b = buildFor(scenario, run, h, alt);
      alt = b.built.altStackAfter;
      return b;
    });
  });

  it('the probe ran every handler and returned', () => {
    expect(run.exitCode).toBe(0);
    expect(run.runs.length).toBe(scenario.trigger === 'nested' ? 2 : 1);
    for (const h of run.runs) {
      expect(h.sigreturnEntry).toBeDefined();
      expect(h.sigreturnExit).toBeDefined();
    }
  });

  it('the registers the tracer saw hold the values the probe loaded', () => {
    const regs = readGeneralRegisters(run.runs[0].delivery.regs);
    expect(regs[GREG.r8]).toBe(0x0808080808080808n);
    expect(regs[GREG.r15]).toBe(0xfedcba9876543210n);
    expect(regs[GREG.rbp]).toBe(0x0b0b0b0b0b0b0b0bn);
    expect(regs[GREG.rbx]).toBe(0x0c0c0c0c0c0c0c0cn);
    expect(regs[GREG.rdx]).toBe(0x0d0d0d0d0d0d0d0dn);
    // DF and the arithmetic flags the probe set before the signal.
    expect(regs[GREG.eflags] & 0x4c5n).toBe(0x4c5n);
  });

  it('new rsp, alignment and handler entry registers', () => {
    run.runs.forEach((h, k) => {
      const { built } = builds[k];
      expect(hex(built.sp)).toBe(hex(h.rsp));
      expect((built.sp + 8) % 16).toBe(0);
      const r = built.newRegs;
      expect(r[GREG.rdi]).toBe(BigInt(h.sig));
      expect(hex(Number(r[GREG.rsi]))).toBe(hex(h.siAddr));
      expect(hex(Number(r[GREG.rdx]))).toBe(hex(h.ucAddr));
      expect(r[GREG.rax]).toBe(h.rax);
      expect(r[GREG.rip]).toBe(BigInt(run.action.handler));
      // pushfq cannot see RF; ours has it clear anyway.
      expect(r[GREG.eflags].toString(16)).toBe(h.eflags.toString(16));
      expect(r[GREG.cs]).toBe(0x33n);
      expect(r[GREG.ss]).toBe(0x2bn);
    });
  });

  it('pretcode, ucontext (all of uc_mcontext) and siginfo equal Linux', () => {
    run.runs.forEach((h, k) => {
      const { built } = builds[k];
      expect(built.bytes.length).toBe(h.frame.length);
      const linux = decodeFrame(h.frame);
      const ours = decodeFrame(built.bytes);
      expect(hex(ours.pretcode)).toBe(hex(linux.pretcode));
      expect(ours.uc.uc_flags).toBe(linux.uc.uc_flags);
      expect(ours.uc.uc_link).toBe(linux.uc.uc_link);
      expect(ours.uc.uc_stack).toEqual(linux.uc.uc_stack);
      expect(ours.uc.uc_mcontext).toEqual(linux.uc.uc_mcontext);
      expect(ours.uc.uc_sigmask.toString(16)).toBe(linux.uc.uc_sigmask.toString(16));
      expect(Buffer.from(ours.info).toString('hex')).toBe(Buffer.from(linux.info).toString('hex'));
    });
  });

  it('the FP area: placement, _fpx_sw_bytes, header, every component in use, FP_XSTATE_MAGIC2', () => {
    run.runs.forEach((h, k) => {
      const { built, layout } = builds[k];
      const linuxFp = Number(decodeFrame(h.frame).uc.uc_mcontext.fpstate);
      expect(hex(built.addresses.fpstate)).toBe(hex(linuxFp));
      expect(built.addresses.fpstate % 64).toBe(0);
      const off = built.addresses.fpstate - built.sp;
      expectSameFpArea(h.frame.subarray(off), built.bytes.subarray(off), layout);
    });
  });

  it('blocked set, sigaltstack and disposition while the handler runs', () => {
    run.runs.forEach((h, k) => {
      const { built } = builds[k];
      expect(built.blockedAfter.toString(16)).toBe(h.blocked.toString(16));
      const altNow = h.altNow;
      expect(altNow).toBeDefined();
      if (altNow === undefined) return;
      expect({ sp: built.altStackAfter.sp, size: built.altStackAfter.size, flags: reportedAltStackFlags(built.altStackAfter, h.rsp) }).toEqual(altNow);
      expect(h.actionNow?.handler).toBe(built.resetHandler ? 0 : run.action.handler);
    });
  });

  it('rt_sigreturn of the edited frame restores what Linux restores', () => {
    let alt: AltStack = builds[builds.length - 1].built.altStackAfter;
    let lastRsp = 0n;
    for (let k = run.runs.length - 1; k >= 0; k--) {
      const h = run.runs[k];
      const entry = h.sigreturnEntry;
      const exit = h.sigreturnExit;
      const frameOut = h.frameOut;
      if (entry === undefined || exit === undefined || frameOut === undefined) throw new Error('incomplete run');
      const layout = xsaveLayoutFromPtrace(entry.xstate);
      const res = restoreFromSigreturn({ regs: entry.regs, memory: memoryAt(h.rsp, frameOut), fpu: layout, fpState: entry.xstate, altStack: alt });
      expect(res.ok).toBe(true);
      if (!res.ok) return;
      const want = readGeneralRegisters(exit.regs);
      expect(Array.from(res.regs, (v) => v.toString(16))).toEqual(Array.from(want, (v) => v.toString(16)));
      expect(res.blocked.toString(16)).toBe(exit.blocked.toString(16));
      expect(effectiveXstate(res.fpState, layout)).toEqual(effectiveXstate(exit.xstate, layout));
      alt = res.altStack;
      lastRsp = res.regs[GREG.rsp];
    }
    expect({ sp: alt.sp, size: alt.size, flags: reportedAltStackFlags(alt, Number(lastRsp)) }).toEqual(run.altAfter);
    expect(run.after?.blocked.toString(16)).toBe(run.runs[0].sigreturnExit?.blocked.toString(16));
  });

  it('trap details: zero for kill(2), #PF error code and address for the fault', () => {
    const linux = decodeFrame(run.runs[0].frame).uc.uc_mcontext;
    if (scenario.trigger === 'fault') {
      expect([linux.trapno, linux.err, linux.cr2]).toEqual([X86_TRAP_PF, X86_PF_USER, BigInt(FAULT_ADDR)]);
    } else {
      expect([linux.trapno, linux.err, linux.cr2]).toEqual([0n, 0n, 0n]);
    }
  });

  it('the siginfo encoders produce the siginfo Linux delivered', () => {
    const h = run.runs[0];
    const regs = readGeneralRegisters(h.delivery.regs);
    const info = h.delivery.siginfo;
    const uid = process.getuid?.() ?? 0;
    const expected =
      scenario.trigger === 'fault'
        ? sigInfoFault(Signal.SIGSEGV, SEGV.MAPERR, FAULT_ADDR)
        : sigInfoKill(Signal.SIGUSR1, { pid: Number(regs[GREG.rdi]), uid }, SI.USER);
    expect(Buffer.from(info ?? []).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
  });
});

describe('trap details persist in the thread', () => {
  it('a kill(2) after a handled write fault still carries that fault in trapno/err/cr2', () => {
    const bin = oracles.compileSource(
      'stale-trap',
      `#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>
static sigjmp_buf back;
static void on_segv(int s, siginfo_t *si, void *c) { (void)s; (void)si; (void)c; siglongjmp(back, 1); }
static void on_usr1(int s, siginfo_t *si, void *c) {
  (void)s; (void)si;
  ucontext_t *uc = c;
  printf("%lld %lld %lld\\n", (long long)uc->uc_mcontext.gregs[REG_TRAPNO], (long long)uc->uc_mcontext.gregs[REG_ERR], (long long)uc->uc_mcontext.gregs[REG_CR2]);
}
int main(void) {
  struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sa.sa_sigaction = on_segv; sigaction(SIGSEGV, &sa, NULL);
  sa.sa_sigaction = on_usr1; sigaction(SIGUSR1, &sa, NULL);
  kill(getpid(), SIGUSR1);
  if (sigsetjmp(back, 1) == 0) *(volatile int *)0x28 = 1;
  kill(getpid(), SIGUSR1);
  return 0;
}`,
    );
    const out = spawnSync(bin, { encoding: 'utf8' }).stdout.trim().split('\n');
    // Before any fault: zeros. After a user-mode write to an unmapped page: #PF, USER|WRITE, the address.
    expect(out).toEqual(['0 0 0', `${X86_TRAP_PF} ${X86_PF_USER | 2n} ${0x28}`]);
  });
});

describe('deliveries Linux refuses', () => {
  const SOURCE = `#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
struct kaction { uint64_t handler, flags, restorer, mask; };
static void h(int s) { (void)s; _exit(0); }
int main(int argc, char **argv) {
  (void)argc;
  if (strcmp(argv[1], "no-restorer") == 0) {
    struct kaction k = { (uint64_t)h, SA_SIGINFO, 0, 0 };
    syscall(SYS_rt_sigaction, SIGUSR1, &k, NULL, 8);
  } else {
    static char small[${2048 + 256}];
    stack_t ss = { .ss_sp = small, .ss_size = sizeof small, .ss_flags = 0 };
    sigaltstack(&ss, NULL);
    struct sigaction sa; memset(&sa, 0, sizeof sa);
    sa.sa_handler = h; sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
  }
  kill(getpid(), SIGUSR1);
  return 3;
}`;
  let bin: string;
  beforeAll(() => {
    bin = oracles.compileSource('refused', SOURCE);
  });

  const regs = (rsp: bigint): bigint[] => {
    const r = new Array<bigint>(27).fill(0n);
    r[GREG.rsp] = rsp;
    r[GREG.cs] = 0x33n;
    r[GREG.ss] = 0x2bn;
    r[GREG.eflags] = 0x246n;
    r[GREG.rip] = 0x401000n;
    return r;
  };
  const xstate = (): Uint8Array => {
    const x = new Uint8Array(2816);
    new DataView(x.buffer).setBigUint64(FX_SW_BYTES_OFFSET, 0x2e7n, true);
    return x;
  };

  it('a handler without SA_RESTORER: Linux kills with SIGSEGV, we refuse the frame', () => {
    const r = spawnSync(bin, ['no-restorer']);
    expect(r.signal).toBe('SIGSEGV');
    const res = buildSignalFrame({
      regs: regs(0x7ffd_0000_0000n),
      fpState: xstate(),
      fpu: xsaveLayoutFromPtrace(xstate()),
      signo: Signal.SIGUSR1,
      siginfo: new Uint8Array(128),
      savedMask: 0n,
      altStack: ALTSTACK_DISABLED,
      action: { sa_handler: 0x401000, sa_flags: SA.SIGINFO, sa_restorer: 0, sa_mask: 0n },
    });
    expect(res).toEqual({ ok: false, reason: 'no-restorer' });
  });

  it('a sigaltstack too small for the frame: Linux kills with SIGSEGV, we refuse the frame', () => {
    const r = spawnSync(bin, ['small-altstack']);
    expect(r.signal).toBe('SIGSEGV');
    const alt: AltStack = { sp: 0x600000, flags: 0, size: 2048 + 256 };
    const res = buildSignalFrame({
      regs: regs(0x7ffd_0000_0000n),
      fpState: xstate(),
      fpu: xsaveLayoutFromPtrace(xstate()),
      signo: Signal.SIGUSR1,
      siginfo: new Uint8Array(128),
      savedMask: 0n,
      altStack: alt,
      action: { sa_handler: 0x401000, sa_flags: SA.ONSTACK | SA.RESTORER, sa_restorer: 0x401100, sa_mask: 0n },
    });
    expect(res).toEqual({ ok: false, reason: 'altstack-overflow' });
  });
});

describe('rt_sigreturn of a frame whose FP part the handler damaged', () => {
  const EDITS = [
    { edit: 'badmagic1', legacyOnly: true },
    { edit: 'badmagic2', legacyOnly: true },
    { edit: 'misaligned', legacyOnly: true },
    { edit: 'nofp', legacyOnly: false },
  ] as const;

  function sigreturnOf(run: ProbeRun) {
    const h = run.runs[0];
    const entry = h.sigreturnEntry;
    const frameOut = h.frameOut;
    if (entry === undefined || frameOut === undefined) throw new Error('incomplete run');
    const layout = xsaveLayoutFromPtrace(entry.xstate);
    const alt = buildFor(SCENARIOS[0], run, h, ALTSTACK_INITIAL).built.altStackAfter;
    return { layout, res: restoreFromSigreturn({ regs: entry.regs, memory: memoryAt(h.rsp, frameOut), fpu: layout, fpState: entry.xstate, altStack: alt }) };
  }

  it.each(EDITS)('$edit: Linux falls back the way we do', ({ edit, legacyOnly }) => {
    const run = parseProbe(runLines(probe, ['kill', 'none', '0x0', '0x0', edit]));
    expect(run.exitCode).toBe(0);
    const exit = run.runs[0].sigreturnExit;
    if (exit === undefined) throw new Error('no sigreturn');
    const { layout, res } = sigreturnOf(run);
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.fpLegacyOnly).toBe(legacyOnly);
    expect(Array.from(res.regs, (v) => v.toString(16))).toEqual(Array.from(readGeneralRegisters(exit.regs), (v) => v.toString(16)));
    expect(effectiveXstate(res.fpState, layout)).toEqual(effectiveXstate(exit.xstate, layout));
    if (edit.startsWith('badmagic')) {
      // The handler's new ymm8 upper half (0x50, 0x51, ...) was not restored: AVX state went back to its initial value.
      expect(effectiveXstate(exit.xstate, layout).bit2).toBe('00'.repeat(256));
    }
  });

  it('a reserved MXCSR bit: Linux raises SIGSEGV after loading the registers (rax 0) and the mask, as we report', () => {
    const run = parseProbe(runLines(probe, ['kill', 'none', '0x0', '0x0', 'mxcsr']));
    expect(run.killedBy).toBe(Signal.SIGSEGV);
    const segv = run.unhandled[0];
    expect(segv.sig).toBe(Signal.SIGSEGV);
    const { res } = sigreturnOf(run);
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.reason).toMatch(/MXCSR/);
    expect(Array.from(res.regs ?? [], (v) => v.toString(16))).toEqual(Array.from(readGeneralRegisters(segv.regs), (v) => v.toString(16)));
    expect(res.blocked?.toString(16)).toBe(segv.blocked.toString(16));
  });
});
