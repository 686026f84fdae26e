/**
 * The network links of a namespace, read with iproute2 (`ip -j`) or
 * /proc/PID/net/dev: what `runsc start` and the sandbox need to find the
 * container's veths. Light on purpose: no kernel, so `start` loads none.
 */
import { execFileSync } from 'node:child_process';
import { disableTxOffload } from '@tvisor/netstack/tap';
import { UserError } from './oci/errors.js';
import { onlyLoopback } from './netns-loopback.js';

export { onlyLoopback };

/** One interface as `ip -j addr show` prints it (the fields used here). */
export interface IpLink {
  ifindex: number;
  ifname: string;
  link_type?: string;
  link_index?: number;
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[];
}

/** One route as `ip -j route show` prints it. */
export interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
}

/** Runs `ip args` in the network namespace at `path` (nsenter: no name under /run/netns needed) and parses its JSON. */
export function ipJsonIn<T>(path: string | undefined, args: string[]): T {
  const [cmd, argv] = path ? ['nsenter', [`--net=${path}`, '--', 'ip', '-j', ...args]] : ['ip', ['-j', ...args]];
  try {
    return JSON.parse(execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) || '[]') as T;
  } catch (e) {
    const err = e as { stderr?: string; code?: string };
    const why = err.code === 'ENOENT' ? `${cmd} is not installed` : (err.stderr ?? '').trim().split('\n')[0] || String(e);
    throw new UserError(`network namespace ${path ?? '(own)'}: ip ${args.join(' ')}: ${why}`);
  }
}

/**
 * Turns off tx checksum offload on the runsc-side peers of the veths in the
 * namespace at `path` (the peers found in the caller's own namespace by
 * ifindex); a failure is logged, not fatal.
 */
export function disablePeerOffloads(path: string, log: (msg: string) => void): void {
  if (onlyLoopback(path)) return;
  const own = ipJsonIn<IpLink[]>(undefined, ['link', 'show']);
  for (const l of ipJsonIn<IpLink[]>(path, ['link', 'show'])) {
    if (l.link_type !== 'ether' || l.link_index === undefined) continue;
    const peer = own.find((p) => p.ifindex === l.link_index);
    if (!peer) continue;
    try {
      disableTxOffload(peer.ifname);
    } catch (e) {
      log(`network: cannot turn off tx offload on ${peer.ifname}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
