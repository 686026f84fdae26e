import { describe, expect, it } from 'vitest';
import { BUS, CLD, SEGV, SI, SIGINFO_CODECS, Signal, SiginfoChld, SYS_SECCOMP, TRAP, siginfoLayout, type StructCodec } from '../src/index.js';

describe("siginfoLayout follows the kernel's siginfo_layout()", () => {
  it('kernel-generated codes pick the signal-specific member', () => {
    expect(siginfoLayout(Signal.SIGSEGV, SEGV.MAPERR)).toBe('fault');
    expect(siginfoLayout(Signal.SIGBUS, BUS.ADRERR)).toBe('fault');
    expect(siginfoLayout(Signal.SIGTRAP, TRAP.BRKPT)).toBe('fault');
    expect(siginfoLayout(Signal.SIGCHLD, CLD.EXITED)).toBe('chld');
    expect(siginfoLayout(Signal.SIGSYS, SYS_SECCOMP)).toBe('sys');
    expect(siginfoLayout(Signal.SIGIO, 1)).toBe('poll');
  });

  it('out-of-range kernel codes fall back to poll or kill', () => {
    expect(siginfoLayout(Signal.SIGSEGV, 12)).toBe('kill');
    expect(siginfoLayout(Signal.SIGUSR1, 3)).toBe('poll');
  });

  it('sender codes', () => {
    expect(siginfoLayout(Signal.SIGUSR1, SI.USER)).toBe('kill');
    expect(siginfoLayout(Signal.SIGSEGV, SI.KERNEL)).toBe('kill');
    expect(siginfoLayout(Signal.SIGUSR1, SI.TKILL)).toBe('rt');
    expect(siginfoLayout(40, SI.QUEUE)).toBe('rt');
    expect(siginfoLayout(Signal.SIGALRM, SI.TIMER)).toBe('timer');
    expect(siginfoLayout(Signal.SIGIO, SI.SIGIO)).toBe('poll');
  });

  it('maps layouts to codecs of siginfo_t', () => {
    expect(SIGINFO_CODECS.chld).toBe(SiginfoChld);
    for (const codec of Object.values(SIGINFO_CODECS) as StructCodec<unknown>[]) {
      expect(codec.size).toBe(128);
      expect(codec.fields.slice(0, 3).map((f) => [f.name, f.offset])).toEqual([
        ['si_signo', 0],
        ['si_errno', 4],
        ['si_code', 8],
      ]);
    }
  });
});
