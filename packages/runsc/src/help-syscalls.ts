import { linux64SyscallTable } from '@tvisor/kernel';

/**
 * `runsc help syscalls`: the kernel's own dispatch table, printed. There is
 * no second list: what it says is what the sentry does.
 */
export function syscallsHelp(): string {
  const table = linux64SyscallTable();
  const entries = table.all();
  const counts = { full: 0, partial: 0, enosys: 0 };
  const lines = entries.map((e) => {
    counts[e.support]++;
    const support = e.support === 'full' ? 'Full' : e.support === 'partial' ? 'Partial' : 'ENOSYS';
    return `${String(e.nr).padStart(3)}  ${e.name.padEnd(24)} ${support.padEnd(8)} ${e.note}`.trimEnd();
  });
  return (
    `x86-64 system calls in tVisor: ${counts.full} full, ${counts.partial} partial, ${counts.enosys} unimplemented (ENOSYS)\n\n` +
    ` NR  NAME                     SUPPORT  NOTE\n` +
    lines.join('\n') +
    '\n'
  );
}
