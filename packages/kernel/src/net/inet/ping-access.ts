import { Errno, SysError } from '@tvisor/abi';
import type { Kernel } from '../../kernel.js';
import type { Credentials } from '../../task.js';
import { netSysctl } from '../sysctl.js';

/**
 * Whether `creds` may open an ICMP datagram ("ping") socket: its effective
 * group or one of its supplementary groups lies in
 * net.ipv4.ping_group_range (Linux's ping_init_sock, which exempts nobody,
 * not even root). EACCES otherwise.
 */
export function checkPingAccess(kernel: Kernel, creds: Credentials): void {
  const [low, high] = netSysctl(kernel, 'ipv4/ping_group_range').split('\t').map(Number);
  const inRange = (gid: number) => gid >= low && gid <= high;
  if (inRange(creds.egid) || creds.groups.some(inRange)) return;
  throw new SysError(Errno.EACCES);
}
