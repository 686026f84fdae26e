// Resource limits as a process starts with them; the prlimit family in
// syscalls/resource.ts reads and changes them.
import { RLIM_INFINITY as INFINITY, RLIMIT } from '@tvisor/abi';

/** Linux's defaults for a process started by init (soft, hard). */
export function defaultRlimits(): Array<[bigint, bigint]> {
  const l: Array<[bigint, bigint]> = Array.from({ length: RLIMIT.NLIMITS }, () => [INFINITY, INFINITY]);
  l[RLIMIT.STACK] = [8n * 1024n * 1024n, INFINITY];
  l[RLIMIT.CORE] = [0n, INFINITY];
  l[RLIMIT.NOFILE] = [1024n, 1024n * 1024n];
  l[RLIMIT.MEMLOCK] = [8n * 1024n * 1024n, 8n * 1024n * 1024n];
  l[RLIMIT.NPROC] = [63_000n, 63_000n];
  l[RLIMIT.SIGPENDING] = [63_000n, 63_000n];
  l[RLIMIT.MSGQUEUE] = [819_200n, 819_200n];
  l[RLIMIT.NICE] = [0n, 0n];
  l[RLIMIT.RTPRIO] = [0n, 0n];
  return l;
}
