import { describe, expect, it, vi } from 'vitest';

const cpus = vi.fn(() => [{}, {}, {}]);
vi.mock('node:os', async (importOriginal) => ({ ...(await importOriginal<typeof import('node:os')>()), cpus }));

const { allCpusMask, defaultSchedState, onlineCpuCount } = await import('./sched-state.js');

describe('sched-state', () => {
  it('reads the host CPU count once, not once per new thread (os.cpus parses /proc/cpuinfo)', () => {
    for (let i = 0; i < 100; i++) defaultSchedState();
    expect(onlineCpuCount()).toBe(3);
    expect(allCpusMask()).toBe(0b111n);
    expect(cpus).toHaveBeenCalledTimes(1);
  });
});
