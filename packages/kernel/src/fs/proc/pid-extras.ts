import { totalmem } from 'node:os';
import { Errno, SysError } from '@tvisor/abi';
import type { KernfsFilesystem, StaticDirectory } from '@tvisor/vfs';
import type { Kernel } from '../../kernel.js';
import type { ThreadGroup } from '../../task.js';
import { mountinfoText, mountsText } from './mountinfo.js';

/**
 * The /proc/PID entries runtimes probe beyond the basics: mountinfo and
 * mounts, cgroup, oom_score and oom_score_adj (kept per process, inherited across fork),
 * smaps_rollup (thread-dir.ts adds the rest, task/TID/ included; pid-ns.ts ns/ and the id maps).
 */
export function addPidExtras(fs: KernfsFilesystem, kernel: Kernel, g: ThreadGroup, dir: StaticDirectory): void {
  dir.add(
    'mountinfo',
    fs.file(() => mountinfoText(g)),
  );
  dir.add(
    'mounts',
    fs.file(() => mountsText(g)),
  );
  dir.add('oom_score_adj', fs.file({ read: () => `${g.oomScoreAdj}\n`, write: (data) => writeOomScoreAdj(g, data) }));
  dir.add(
    'oom_score',
    fs.file(() => `${oomScore(g)}\n`),
  );
  // One cgroup v2 hierarchy with the sandbox at its root (what /sys/fs/cgroup shows).
  dir.add(
    'cgroup',
    fs.file(() => '0::/\n'),
  );
  dir.add(
    'smaps_rollup',
    fs.file(() => smapsRollup(g)),
  );
}

/** Linux's range for oom_score_adj (OOM_SCORE_ADJ_MIN..MAX); anything else is EINVAL. */
const OOM_SCORE_ADJ_MIN = -1000;
const OOM_SCORE_ADJ_MAX = 1000;

/**
 * /proc/PID/oom_score as Linux computes it: the badness (resident pages as
 * thousandths of memory, plus oom_score_adj) scaled from [-1000, 1000] into
 * [0, 1333] by (1000 + badness) * 2 / 3; 0 for an unkillable
 * (OOM_SCORE_ADJ_MIN) or exited process.
 */
export function oomScore(g: ThreadGroup, memTotal = totalmem()): number {
  if (g.exitStatus !== undefined || g.oomScoreAdj === OOM_SCORE_ADJ_MIN) return 0;
  const badness = Math.trunc((g.mm.residentBytes() * 1000) / memTotal) + g.oomScoreAdj;
  return Math.max(0, Math.trunc(((1000 + badness) * 2) / 3));
}

function writeOomScoreAdj(g: ThreadGroup, data: Uint8Array): number {
  // Linux reads the value as a C string: a NUL ends it ("7\0" is 7).
  const nul = data.indexOf(0);
  const text = new TextDecoder().decode(nul < 0 ? data : data.subarray(0, nul)).trim();
  if (!/^[+-]?[0-9]+$/.test(text)) throw new SysError(Errno.EINVAL);
  const v = Number(text);
  if (v < OOM_SCORE_ADJ_MIN || v > OOM_SCORE_ADJ_MAX) throw new SysError(Errno.EINVAL);
  g.oomScoreAdj = v;
  return data.length;
}

/**
 * /proc/PID/smaps_rollup: the smaps fields summed over every mapping, under
 * one header spanning the address space, as Linux prints it.
 */
function smapsRollup(g: ThreadGroup): string {
  if (g.exitStatus !== undefined) return '';
  const text = g.mm.smapsText();
  const totals = new Map<string, number>();
  let first = -1;
  let last = 0;
  for (const line of text.split('\n')) {
    const range = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (range) {
      if (first < 0) first = parseInt(range[1], 16);
      last = parseInt(range[2], 16);
      continue;
    }
    const field = /^([A-Za-z_]+):\s+([0-9]+) kB$/.exec(line);
    if (field && !ROLLUP_SKIPPED.has(field[1])) totals.set(field[1], (totals.get(field[1]) ?? 0) + Number(field[2]));
  }
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  let out = `${hex(Math.max(first, 0))}-${hex(last)} ---p 00000000 00:00 0${' '.repeat(26)}[rollup]\n`;
  for (const [k, v] of totals) out += `${(k + ':').padEnd(16)}${String(v).padStart(8)} kB\n`;
  return out;
}

/** Per-mapping fields smaps_rollup does not sum (sizes of the mapping itself). */
const ROLLUP_SKIPPED = new Set(['Size', 'KernelPageSize', 'MMUPageSize']);
