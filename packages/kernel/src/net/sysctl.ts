import type { Kernel } from '../kernel.js';

/**
 * The /proc/sys/net settings the sandbox has, with the values it starts
 * with: Linux's defaults, which are also what netstack uses (ports.ts,
 * tcp-socket.ts, socket.ts), except ping_group_range, which is open to every
 * group as container runtimes set it (docker since 20.10, systemd's
 * 50-default.conf) so that ping works without raw sockets.
 */
export const NET_SYSCTL_DEFAULTS: ReadonlyMap<string, string> = new Map([
  ['core/somaxconn', '4096'],
  ['core/rmem_max', '212992'],
  ['core/wmem_max', '212992'],
  ['core/rmem_default', '212992'],
  ['core/wmem_default', '212992'],
  ['core/optmem_max', '20480'],
  ['ipv4/ip_local_port_range', '32768\t60999'],
  ['ipv4/ip_forward', '0'],
  ['ipv4/tcp_rmem', '4096\t131072\t6291456'],
  ['ipv4/tcp_wmem', '4096\t16384\t4194304'],
  ['ipv4/tcp_sack', '1'],
  ['ipv4/tcp_recovery', '1'],
  ['ipv4/tcp_timestamps', '1'],
  ['ipv4/tcp_syncookies', '1'],
  ['ipv4/tcp_fin_timeout', '60'],
  ['ipv4/tcp_max_syn_backlog', '4096'],
  ['ipv4/ip_default_ttl', '64'],
  ['ipv4/ip_unprivileged_port_start', '1024'],
  ['ipv4/ping_group_range', '0\t2147483647'],
  ['ipv6/auto_flowlabels', '1'],
  ['ipv6/bindv6only', '0'],
  ['ipv6/ip6frag_time', '60'],
  ['ipv6/ip_nonlocal_bind', '0'],
  ['ipv6/conf/all/disable_ipv6', '0'],
  ['ipv6/conf/lo/disable_ipv6', '0'],
]);

const values = new WeakMap<Kernel, Map<string, string>>();

/** A net sysctl's current value (tab-separated fields), e.g. netSysctl(k, 'ipv4/ping_group_range'). */
export function netSysctl(kernel: Kernel, path: string): string {
  return values.get(kernel)?.get(path) ?? NET_SYSCTL_DEFAULTS.get(path) ?? '';
}

/** Stores a value root wrote (already validated as whitespace-separated integers). */
export function setNetSysctl(kernel: Kernel, path: string, value: string): void {
  let m = values.get(kernel);
  if (!m) values.set(kernel, (m = new Map()));
  m.set(path, value);
}
