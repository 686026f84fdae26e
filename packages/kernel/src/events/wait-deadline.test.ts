// A readiness wait's timeout (poll, select, epoll) ends no earlier than its deadline, even when the host timer fires early.
import { SYS } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { afterAll, describe, expect, it } from 'vitest';
import { KernelHarness } from '../testing/kernel-harness.js';

const memoryFile = MemoryFile.create('wait-deadline-test');
afterAll(() => memoryFile.close());

describe('readiness wait timeouts', () => {
  it('a host timer that fires before the deadline is re-armed for the rest; the wait stays parked', () => {
    const h = new KernelHarness(memoryFile);
    const t = h.newProcess();
    const armed: Array<{ ms: number; fn: () => void }> = [];
    h.kernel.setTimer = (ms, fn) => {
      armed.push({ ms, fn });
      return () => {};
    };
    const epfd = h.syscall(t, SYS.epoll_create1, 0)!;
    const timeout = new Uint8Array(16);
    new DataView(timeout.buffer).setBigInt64(0, 10n, true); // 10 s
    const events = h.alloc(t, 12);
    expect(h.syscall(t, SYS.epoll_pwait2, epfd, events, 1, h.alloc(t, 16, timeout), 0, 8)).toBeUndefined();
    expect(armed).toHaveLength(1);
    // The host timer fires far too early (as the event loop's cached clock can make it, by a little).
    armed[0].fn();
    expect(h.kernel.blocked.has(t)).toBe(true);
    expect(armed).toHaveLength(2);
    expect(armed[1].ms).toBeGreaterThan(9_000);
  });
});
