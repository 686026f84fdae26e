// End to end through real Linux: the traced probe's tracer acts as a ptrace
// platform and installs the frames, registers, FP state and masks this
// module computes (and, in 'all' mode, performs rt_sigreturn our way too).
// The probe's handler must see its arguments and return into a program that
// carries on with the handler's edits, exactly as in a native run.
import { RtSigframe, SA, Signal } from '@tvisor/abi';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AltStack } from './altstack.js';
import { ALTSTACK_INITIAL } from './altstack.js';
import type { FpuLayout } from './fpu.js';
import { fxsaveLayout, xsaveLayoutFromPtrace } from './fpu.js';
import type { SignalFrameBuilt } from './frame.js';
import { buildSignalFrame, restoreFromSigreturn } from './frame.js';
import { memoryAt } from './memory.js';
import { pageFaultTrap } from './trap.js';
import { GREG, readGeneralRegisters } from './registers.js';
import { hexBytes, hexNum, Oracles, runLines } from './testing/native.js';
import type { ProbeRun } from './testing/sigframe-probe.js';
import { action, alt, parseProbe, readSnapshot } from './testing/sigframe-probe.js';
import { effectiveXstate } from './testing/xstate.js';

let oracles: Oracles;
let probe: string;
beforeAll(() => {
  oracles = new Oracles();
  probe = oracles.compile('sigframe-probe');
});
afterAll(() => oracles.dispose());

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const regsHex = (r: BigUint64Array): string => hex(new Uint8Array(r.buffer, r.byteOffset, r.byteLength));

interface Injected {
  run: ProbeRun;
  builds: SignalFrameBuilt[];
  sigreturns: number;
}

/** Runs the probe with PROBE_INJECT=mode, answering its requests with buildSignalFrame / restoreFromSigreturn. */
async function runInjected(args: string[], mode: 'frame' | 'all', altNone: boolean, format: 'xsave' | 'fxsave'): Promise<Injected> {
  const fpuOf = (xstate: Uint8Array): FpuLayout => (format === 'xsave' ? xsaveLayoutFromPtrace(xstate) : fxsaveLayout());
  const child = spawn(probe, args, { env: { ...process.env, PROBE_INJECT: mode }, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const lines: string[][] = [];
  const builds: SignalFrameBuilt[] = [];
  let sigreturns = 0;
  let altStack: AltStack = ALTSTACK_INITIAL;
  const lastIndex = (tag: string): number => lines.map((l) => l[0]).lastIndexOf(tag);
  for await (const text of createInterface({ input: child.stdout })) {
    const f = text.split(' ');
    lines.push(f);
    if (f[0] === 'altstack' && !altNone) altStack = alt(f);
    if (f[0] === 'need-frame') {
      const snap = readSnapshot(lines, lastIndex('deliver'));
      const act = action(lines[lastIndex('action')]);
      const fault = snap.sig === Signal.SIGSEGV;
      const built = buildSignalFrame({
        regs: snap.regs,
        fpState: format === 'xsave' ? snap.xstate : snap.fpregs,
        fpu: fpuOf(snap.xstate),
        signo: snap.sig,
        siginfo: snap.siginfo ?? new Uint8Array(128),
        savedMask: snap.blocked,
        altStack,
        action: { sa_handler: act.handler, sa_flags: act.flags, sa_restorer: act.restorer, sa_mask: act.mask },
        trap: fault ? pageFaultTrap(0x18n, { present: false, write: false, fetch: false }) : undefined,
      });
      if (!built.ok) throw new Error(built.reason);
      builds.push(built);
      altStack = built.altStackAfter;
      child.stdin.write(
        `${built.sp.toString(16)} ${regsHex(built.newRegs)} ${hex(built.bytes)} ${hex(built.handlerFpState)} ${built.blockedAfter.toString(16)}\n`,
      );
    }
    if (f[0] === 'need-sigreturn') {
      const snap = readSnapshot(lines, lastIndex('sigreturn-entry'));
      const res = restoreFromSigreturn({
        regs: snap.regs,
        memory: memoryAt(hexNum(f[1]), hexBytes(f[2])),
        fpu: fpuOf(snap.xstate),
        fpState: format === 'xsave' ? snap.xstate : snap.fpregs,
        altStack,
      });
      if (!res.ok) throw new Error(res.reason);
      sigreturns++;
      altStack = res.altStack;
      child.stdin.write(`${regsHex(res.regs)} ${hex(res.fpState)} ${res.blocked.toString(16)}\n`);
    }
  }
  const code = await exited;
  expect(code).toBe(0);
  return { run: parseProbe(lines.filter((l) => l[0] !== 'need-frame' && l[0] !== 'need-sigreturn')), builds, sigreturns };
}

const CASES = [
  { name: 'kill(2) on the thread stack', args: ['kill', 'none', '0x0', '0x0'] },
  { name: 'kill(2) with SA_ONSTACK', args: ['kill', 'on', `0x${SA.ONSTACK.toString(16)}`, '0x0'] },
  { name: 'read fault with SA_ONSTACK', args: ['fault', 'on', `0x${SA.ONSTACK.toString(16)}`, '0x0'] },
  { name: 'nested signals on the sigaltstack', args: ['nested', 'on', `0x${SA.ONSTACK.toString(16)}`, '0x0'] },
];

describe.each(CASES)('our frames run real handlers: $name', ({ args }) => {
  let native: ProbeRun;
  beforeAll(() => {
    native = parseProbe(runLines(probe, args));
  });

  it.each([
    ['frame', 'xsave'],
    ['all', 'xsave'],
    ['frame', 'fxsave'],
    ['all', 'fxsave'],
  ] as const)('mode %s, %s platform: handler arguments, frame contents and the resumed program match a native run', async (mode, format) => {
    const { run, builds, sigreturns } = await runInjected(args, mode, args[1] === 'none', format);
    expect(run.runs.length).toBe(native.runs.length);
    expect(builds.length).toBe(native.runs.length);
    expect(sigreturns).toBe(mode === 'all' ? native.runs.length : 0);
    run.runs.forEach((h, k) => {
      const built = builds[k];
      expect(h.rsp).toBe(built.sp);
      expect([h.siAddr, h.ucAddr]).toEqual([built.addresses.info, built.addresses.uc]);
      expect(h.rax).toBe(0n);
      expect(h.blocked).toBe(built.blockedAfter);
      // What the handler read from memory is what we wrote.
      expect(RtSigframe.decode(new DataView(h.frame.buffer), 0)).toEqual(RtSigframe.decode(new DataView(built.bytes.buffer), 0));
      expect(h.blocked).toBe(native.runs[k].blocked);
    });
    // The program resumed with the handler's edits: rax, the mask, xmm15 from the frame's FP area.
    expect(run.after).toEqual(native.after);
    expect({ ...run.altAfter, sp: 0 }).toEqual({ ...native.altAfter, sp: 0 });
    if (mode === 'frame' && format === 'xsave') {
      // Linux's own rt_sigreturn consumed our frame; it agrees with ours on the result.
      for (const h of run.runs) {
        const entry = h.sigreturnEntry;
        const exit = h.sigreturnExit;
        if (entry === undefined || exit === undefined || h.frameOut === undefined) throw new Error('incomplete run');
        const layout = xsaveLayoutFromPtrace(entry.xstate);
        const res = restoreFromSigreturn({
          regs: entry.regs,
          memory: memoryAt(h.rsp, h.frameOut),
          fpu: layout,
          fpState: entry.xstate,
          altStack: builds[0].altStackAfter,
        });
        expect(res.ok).toBe(true);
        if (!res.ok) return;
        expect(Array.from(res.regs)).toEqual(Array.from(readGeneralRegisters(exit.regs)));
        expect(effectiveXstate(res.fpState, layout)).toEqual(effectiveXstate(exit.xstate, layout));
        expect(res.regs[GREG.orig_rax]).toBe((1n << 64n) - 1n);
      }
    }
  });
});
