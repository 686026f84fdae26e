// timerfd, signalfd and inotify files have no offset: pread and pwrite are ESPIPE, a plain write EINVAL.
import { CLOCK, Errno, SYS } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '../task.js';
import { KernelHarness } from '../testing/kernel-harness.js';

const memoryFile = MemoryFile.create('record-stream-test');
afterAll(() => memoryFile.close());

let h: KernelHarness;
let t: Task;
beforeEach(() => {
  h = new KernelHarness(memoryFile);
  t = h.newProcess();
});

describe('record-stream event files', () => {
  it('refuse pread and pwrite with ESPIPE and write with EINVAL', () => {
    const mask = h.alloc(t, 8);
    const fds = {
      timerfd: h.syscall(t, SYS.timerfd_create, CLOCK.MONOTONIC, 0)!,
      signalfd: h.syscall(t, SYS.signalfd4, -1, mask, 8, 0)!,
      inotify: h.syscall(t, SYS.inotify_init1, 0)!,
    };
    const buf = h.alloc(t, 8);
    for (const [kind, fd] of Object.entries(fds)) {
      expect(fd, kind).toBeGreaterThanOrEqual(0);
      expect(h.syscall(t, SYS.pwrite64, fd, buf, 8, 0), kind).toBe(-Errno.ESPIPE);
      expect(h.syscall(t, SYS.pread64, fd, buf, 8, 0), kind).toBe(-Errno.ESPIPE);
      expect(h.syscall(t, SYS.write, fd, buf, 8), kind).toBe(-Errno.EINVAL);
    }
  });
});
