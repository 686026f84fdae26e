/**
 * What config.json's process asks of the container's init beyond argv, env,
 * cwd and user: its resource limits (process.rlimits, set in the sandbox's
 * kernel as setrlimit would), no_new_privs and oom_score_adj. Processes it
 * starts inherit them, as on Linux.
 */
import { RLIMIT, RLIM_INFINITY } from '@tvisor/abi';
import type { ThreadGroup } from '@tvisor/kernel';
import { UserError } from './errors.js';
import type { Spec } from './spec.js';

/** A JSON number as an rlim_t: anything at or past 2^64-1 (which JSON cannot hold exactly) is RLIM_INFINITY. */
function rlim(v: number): bigint {
  const b = BigInt(Math.trunc(v));
  return b >= RLIM_INFINITY ? RLIM_INFINITY : b;
}

export function applyProcessAttributes(init: ThreadGroup, proc: NonNullable<Spec['process']>): void {
  for (const l of proc.rlimits ?? []) {
    const resource = (RLIMIT as Record<string, number>)[l.type.slice('RLIMIT_'.length)];
    if (resource === undefined || l.type === 'RLIMIT_NLIMITS') throw new UserError(`config.json: process.rlimits: unknown resource ${l.type}`);
    const soft = rlim(l.soft);
    const hard = rlim(l.hard);
    if (soft > hard) throw new UserError(`config.json: process.rlimits: ${l.type} soft limit ${l.soft} is above its hard limit ${l.hard}`);
    init.rlimits[resource] = [soft, hard];
  }
  if (proc.noNewPrivileges) init.noNewPrivs = true;
  if (proc.oomScoreAdj !== undefined) init.oomScoreAdj = proc.oomScoreAdj;
}
