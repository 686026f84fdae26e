import { Errno } from '@tvisor/abi';
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../kernel.js';
import { newCredentials, type Credentials } from '../../credentials.js';
import { setNetSysctl } from '../sysctl.js';
import { checkPingAccess } from './ping-access.js';
import { errnoOf } from '../../testing/errno.js';

function creds(egid: number, groups: number[] = []): Credentials {
  return newCredentials(0, egid, groups);
}

describe('net.ipv4.ping_group_range', () => {
  it('lets every group open ping sockets by default, as container runtimes configure it', () => {
    const kernel = {} as Kernel;
    expect(errnoOf(() => checkPingAccess(kernel, creds(0)))).toBe(0);
    expect(errnoOf(() => checkPingAccess(kernel, creds(65534)))).toBe(0);
  });

  it('admits the effective or a supplementary group in the range, and nobody (not even root) when the range is empty', () => {
    const kernel = {} as Kernel;
    setNetSysctl(kernel, 'ipv4/ping_group_range', '100\t200');
    expect(errnoOf(() => checkPingAccess(kernel, creds(150)))).toBe(0);
    expect(errnoOf(() => checkPingAccess(kernel, creds(0, [5, 200])))).toBe(0);
    expect(errnoOf(() => checkPingAccess(kernel, creds(0, [99, 201])))).toBe(Errno.EACCES);
    setNetSysctl(kernel, 'ipv4/ping_group_range', '1\t0');
    expect(errnoOf(() => checkPingAccess(kernel, creds(0)))).toBe(Errno.EACCES);
  });
});
