import { CLD, FPE, ILL, POLL_CODE, SI, Signal } from '@tvisor/abi';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIT_ARCH_X86_64,
  decodeSigInfo,
  sigInfoChild,
  sigInfoFault,
  sigInfoKernel,
  sigInfoKill,
  sigInfoPoll,
  sigInfoQueue,
  sigInfoSeccomp,
  sigInfoTimer,
} from './siginfo.js';
import { Oracles } from './testing/native.js';
import type { TrapInfo } from './frame.js';
import { exceptionTrap, NO_TRAP, pageFaultTrap, X86_TRAP } from './trap.js';

/** Linux's si_band for POLL_IN: EPOLLIN | EPOLLRDNORM. */
const POLL_IN_BAND = 0x41;

let oracles: Oracles;
let lines: Map<string, string[][]>;
beforeAll(() => {
  oracles = new Oracles();
  const out = execFileSync(oracles.compile('siginfo-probe', ['-no-pie']), { encoding: 'utf8' })
    .trim()
    .split('\n');
  lines = new Map();
  for (const l of out) {
    const f = l.split(' ');
    lines.set(f[0], [...(lines.get(f[0]) ?? []), f]);
  }
});
afterAll(() => oracles.dispose());

function one(kind: string): string[] {
  const all = lines.get(kind);
  if (all === undefined || all.length === 0) throw new Error(`probe printed no ${kind} line`);
  return all[0];
}
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const n = (s: string): number => Number(s);

describe('siginfo encoders produce what Linux delivers', () => {
  it('kill(2): SI_USER, sender pid and uid', () => {
    const f = one('kill');
    expect(hexOf(sigInfoKill(Signal.SIGUSR1, { pid: n(f[1]), uid: n(f[2]) }))).toBe(f[3]);
  });

  it('tgkill(2): sender pid and uid (si_code as this host reports it: SI_TKILL, or SI_USER on kernels that send that)', () => {
    const f = one('tkill');
    const code = decodeSigInfo(Buffer.from(f[3], 'hex')).info.si_code;
    expect([SI.TKILL, SI.USER]).toContain(code);
    expect(hexOf(sigInfoKill(Signal.SIGUSR2, { pid: n(f[1]), uid: n(f[2]) }, code))).toBe(f[3]);
  });

  it('sigqueue(3): SI_QUEUE with the 64-bit sigval', () => {
    const f = one('queue');
    expect(hexOf(sigInfoQueue(n(f[3]), { pid: n(f[1]), uid: n(f[2]) }, 0x1122334455667788n))).toBe(f[4]);
  });

  it('POSIX timer: SI_TIMER, timer id, overrun (= timer_getoverrun) and sigval', () => {
    const f = one('timer');
    expect(n(f[3])).toBeGreaterThan(0);
    expect(hexOf(sigInfoTimer(n(f[2]), { id: n(f[1]), overrun: n(f[3]), value: 0xdeadbeefcafen }))).toBe(f[4]);
  });

  it('SIGCHLD for an exit and for a kill: code, pid, uid, status, times (as waitid(2) reports them)', () => {
    const all = lines.get('chld') ?? [];
    expect(all.map((f) => n(f[3]))).toEqual([CLD.EXITED, CLD.KILLED]);
    for (const f of all) {
      const info = sigInfoChild(n(f[3]), { pid: n(f[1]), uid: n(f[2]), status: n(f[4]), utime: n(f[5]), stime: n(f[6]) });
      expect(hexOf(info)).toBe(f[7]);
    }
  });

  it('SIGIO with F_SETSIG: POLL_IN, band, fd', () => {
    const f = one('poll');
    expect(hexOf(sigInfoPoll(n(f[1]), POLL_CODE.IN, POLL_IN_BAND, n(f[2])))).toBe(f[3]);
  });

  it('faults: SIGFPE (FPE_INTDIV) and SIGILL (ILL_ILLOPN) carry the faulting rip', () => {
    const fpe = one('fpe');
    expect(hexOf(sigInfoFault(Signal.SIGFPE, FPE.INTDIV, n(fpe[1])))).toBe(fpe[2]);
    const ill = one('ill');
    expect(hexOf(sigInfoFault(Signal.SIGILL, ILL.ILLOPN, n(ill[1])))).toBe(ill[2]);
  });

  it('int3: SIGTRAP with SI_KERNEL and nothing else', () => {
    expect(hexOf(sigInfoKernel(Signal.SIGTRAP))).toBe(one('trap')[2]);
  });

  it('seccomp SECCOMP_RET_TRAP: SIGSYS with call address, syscall, arch and the filter data in si_errno', () => {
    const f = one('sys');
    expect(hexOf(sigInfoSeccomp({ addr: n(f[1]), nr: n(f[2]), data: 0x42 }))).toBe(f[3]);
  });
});

describe('trap details (uc_mcontext trapno/err/cr2) after each kind of fault', () => {
  it('match what Linux put in the frames, in the order the probe faulted', () => {
    const seen = new Map((lines.get('trapinfo') ?? []).map((f) => [f[1], { trapno: BigInt(f[2]), err: BigInt(f[3]), cr2: BigInt(f[4]), addr: BigInt(f[5]) }]));
    const linux = (kind: string): TrapInfo => {
      const t = seen.get(kind);
      if (t === undefined) throw new Error(`no trapinfo ${kind}`);
      return { trapno: t.trapno, err: t.err, cr2: t.cr2 };
    };
    const addr = (kind: string): bigint => seen.get(kind)?.addr ?? -1n;
    expect(linux('divide')).toEqual(exceptionTrap(NO_TRAP, X86_TRAP.DE));
    expect(linux('ud2')).toEqual(exceptionTrap(NO_TRAP, X86_TRAP.UD));
    expect(linux('int3')).toEqual(exceptionTrap(NO_TRAP, X86_TRAP.BP));
    expect(linux('read-unmapped')).toEqual(pageFaultTrap(addr('read-unmapped'), { present: false, write: false, fetch: false }));
    expect(linux('write-unmapped')).toEqual(pageFaultTrap(addr('write-unmapped'), { present: false, write: true, fetch: false }));
    // A PROT_READ page never touched is not in the page tables yet.
    expect(linux('write-readonly')).toEqual(pageFaultTrap(addr('write-readonly'), { present: false, write: true, fetch: false }));
    // Fetching from a non-executable page: Linux reports a protection fault.
    expect(linux('fetch-noexec')).toEqual(pageFaultTrap(addr('fetch-noexec'), { present: true, write: false, fetch: true }));
    expect(linux('read-kernel')).toEqual(pageFaultTrap(addr('read-kernel'), { present: false, write: false, fetch: false }));
    expect(linux('int3-after-pf')).toEqual(exceptionTrap(linux('read-kernel'), X86_TRAP.BP));
  });
});

describe('decodeSigInfo picks the union member Linux uses', () => {
  it('round-trips each encoder', () => {
    expect(decodeSigInfo(sigInfoKill(10, { pid: 5, uid: 6 }))).toEqual({
      layout: 'kill',
      info: { si_signo: 10, si_errno: 0, si_code: SI.USER, si_pid: 5, si_uid: 6 },
    });
    expect(decodeSigInfo(sigInfoQueue(40, { pid: 5, uid: 6 }, -1n)).info).toMatchObject({ si_code: SI.QUEUE, si_value: 0xffffffffffffffffn });
    expect(decodeSigInfo(sigInfoTimer(41, { id: 3, overrun: 2, value: 9n }))).toMatchObject({ layout: 'timer', info: { si_timerid: 3, si_overrun: 2 } });
    expect(decodeSigInfo(sigInfoChild(CLD.STOPPED, { pid: 1, uid: 2, status: 19, utime: 3, stime: 4 }))).toMatchObject({
      layout: 'chld',
      info: { si_status: 19, si_utime: 3 },
    });
    expect(decodeSigInfo(sigInfoFault(Signal.SIGSEGV, 1, 0x1000))).toMatchObject({ layout: 'fault', info: { si_addr: 0x1000 } });
    expect(decodeSigInfo(sigInfoSeccomp({ addr: 0x400000, nr: 1, data: 7 }))).toMatchObject({
      layout: 'sys',
      info: { si_errno: 7, si_arch: AUDIT_ARCH_X86_64 },
    });
    expect(decodeSigInfo(sigInfoPoll(Signal.SIGIO, POLL_CODE.HUP, 0x10, 4))).toMatchObject({ layout: 'poll', info: { si_fd: 4, si_band: 0x10 } });
  });

  it('si_addr_lsb and si_pkey land after si_addr', () => {
    const b = sigInfoFault(Signal.SIGBUS, 4, 0x2000, { addrLsb: 12 });
    expect(new DataView(b.buffer).getInt16(24, true)).toBe(12);
    const p = sigInfoFault(Signal.SIGSEGV, 4, 0x3000, { pkey: 5 });
    expect(new DataView(p.buffer).getUint32(32, true)).toBe(5);
  });
});
