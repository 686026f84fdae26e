import { describe, expect, it } from 'vitest';
import {
  PTRACE_EVENT,
  Signal,
  W_CONTINUED,
  wcoredump,
  wExitCode,
  wexitstatus,
  wifcontinued,
  wifexited,
  wifsignaled,
  wifstopped,
  wptraceEvent,
  wStopCode,
  wstopsig,
  wTermCode,
  wtermsig,
} from '../src/index.js';
import { compileAndRun } from '../tools/cc.mjs';

const statuses: number[] = [W_CONTINUED, 0x7f, 0x80];
for (const code of [0, 1, 2, 127, 128, 255]) statuses.push(wExitCode(code));
for (let sig = 1; sig <= 64; sig++) {
  statuses.push(wTermCode(sig), wTermCode(sig, true), wStopCode(sig));
}
for (const ev of Object.values(PTRACE_EVENT)) statuses.push(wStopCode(Signal.SIGTRAP, ev));
statuses.push(wStopCode(Signal.SIGTRAP | 0x80));

function ours(s: number): number[] {
  return [+wifexited(s), wexitstatus(s), +wifsignaled(s), wtermsig(s), +wcoredump(s), +wifstopped(s), wstopsig(s), +wifcontinued(s)];
}

describe('wait status helpers', () => {
  it("agree with glibc's W* macros", () => {
    const src = `#define _GNU_SOURCE
#include <stdio.h>
#include <sys/wait.h>
static const unsigned s[] = {${statuses.join(',')}};
int main(void) {
  for (unsigned i = 0; i < sizeof s / sizeof s[0]; i++) {
    int v = (int)s[i];
    printf("%d %d %d %d %d %d %d %d\\n", !!WIFEXITED(v), WEXITSTATUS(v), !!WIFSIGNALED(v), WTERMSIG(v),
      !!WCOREDUMP(v), !!WIFSTOPPED(v), WSTOPSIG(v), !!WIFCONTINUED(v));
  }
  return 0;
}
`;
    const lines = compileAndRun(src, 'wait-status').trim().split('\n');
    expect(lines.map((l) => l.split(' ').map(Number))).toEqual(statuses.map(ours));
  });

  it('builds and reads ptrace event stops', () => {
    const s = wStopCode(Signal.SIGTRAP, PTRACE_EVENT.EXEC);
    expect(wifstopped(s)).toBe(true);
    expect(wstopsig(s)).toBe(Signal.SIGTRAP);
    expect(wptraceEvent(s)).toBe(PTRACE_EVENT.EXEC);
    expect(wptraceEvent(wStopCode(Signal.SIGTRAP, PTRACE_EVENT.STOP))).toBe(128);
    expect(wptraceEvent(wStopCode(Signal.SIGSTOP))).toBe(0);
  });
});
