/**
 * The host probe behind the default platform: this CI host (Linux 6.x)
 * supports systrap, and the seccomp probe tells a known filter return from
 * one the kernel does not have.
 */
import { describe, expect, it } from 'vitest';
import { SECCOMP_RET } from '@tvisor/abi';
import { systrapSupport } from '../src/index.js';
import { pidfdGetfdAvailable, seccompActionAvailable } from '../src/native/notify.js';

describe('systrapSupport', () => {
  it('finds SECCOMP_RET_TRAP, SECCOMP_RET_USER_NOTIF and pidfd_getfd on this host', () => {
    expect(seccompActionAvailable(SECCOMP_RET.TRAP)).toBe(true);
    expect(seccompActionAvailable(SECCOMP_RET.USER_NOTIF)).toBe(true);
    expect(pidfdGetfdAvailable()).toBe(true);
    expect(systrapSupport()).toMatchObject({ supported: true, reason: expect.stringContaining('SECCOMP_RET_USER_NOTIF') });
  });

  it('reports a filter return the kernel does not know as unavailable', () => {
    // Between USER_NOTIF (0x7fc00000) and TRACE (0x7ff00000): no such action.
    expect(seccompActionAvailable(0x7fd00000)).toBe(false);
  });
});
