import type { SyscallTable } from '../syscall-table.js';

/** File space and caching advice: fallocate, fadvise64, readahead. */
export function registerFileSpaceSyscalls(table: SyscallTable): void {
  table.register({
    fallocate: {
      args: ['fd', 'hex', 'int', 'int'],
      handler: (t, a) => {
        t.group.fds.get(a.argInt(0)).allocate(a.argInt(1), a.argSigned(2), a.argSigned(3));
        return 0;
      },
    },
    fadvise64: { args: ['fd', 'int', 'int', 'int'], handler: (t, a) => (t.group.fds.get(a.argInt(0)), 0) },
    readahead: { args: ['fd', 'int', 'uint'], handler: (t, a) => (t.group.fds.get(a.argInt(0)), 0) },
  });
}
