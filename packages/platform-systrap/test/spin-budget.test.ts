import { describe, expect, it } from 'vitest';
import { HostCpus, procsRunning } from '../src/host-cpus.js';
import { SpinBudget } from '../src/spin-budget.js';

describe('SpinBudget', () => {
  it('doubles on hits up to its maximum and halves on misses down to zero', () => {
    const b = new SpinBudget(1024, 128);
    expect(b.value).toBe(128);
    for (const want of [256, 512, 1024, 1024]) {
      b.hit();
      expect(b.value).toBe(want);
    }
    for (const want of [512, 256, 128, 0, 0]) {
      b.miss();
      expect(b.value).toBe(want);
    }
  });

  it('at zero, tries the probe budget once every probeEvery misses, and a hit from there grows it again', () => {
    const b = new SpinBudget(1024, 16, 8);
    b.miss(); // 16 -> 0: the first miss at zero
    const seen: number[] = [];
    for (let i = 0; i < 16; i++) {
      b.miss();
      seen.push(b.value);
    }
    // Misses 1..17 at zero: the 8th and 16th give the probe.
    expect(seen.map((v, i) => (v ? i + 2 : 0)).filter(Boolean)).toEqual([8, 16]);
    expect(b.value).toBe(0);
    for (let i = 0; i < 7; i++) b.miss();
    expect(b.value).toBe(16);
    b.hit();
    expect(b.value).toBe(32);
  });
});

describe('HostCpus', () => {
  it('reads the host run queue: at least this test is runnable while it reads', () => {
    const n = procsRunning();
    expect(Number.isInteger(n)).toBe(true);
    expect(n).toBeGreaterThanOrEqual(1);
  });

  it('says a CPU is spare exactly when the runnable count is at most the CPU count, rechecked only after 20 ms', () => {
    const cpus = new HostCpus();
    const first = cpus.haveSpare(1000);
    expect(typeof first).toBe('boolean');
    // Within the recheck interval the answer is the cached one, whatever the host does meanwhile.
    for (let t = 1000; t < 1020; t += 5) expect(cpus.haveSpare(t)).toBe(first);
  });
});
