import type { SyscallTable } from '../syscall-table.js';
import { Errno, SysError } from '@tvisor/abi';

const encoder = new TextEncoder();

/** syslog(2): the kernel log ring, as dmesg reads it. */
export function registerSyslogSyscalls(table: SyscallTable): void {
  table.register({
    syslog: {
      args: ['int', 'ptr', 'int'],
      support: 'partial',
      note: 'the console actions are accepted and do nothing',
      handler: (t, a) => {
        const log = t.kernel.log;
        const action = a.argInt(0);
        const len = a.argInt(2);
        switch (action) {
          case 0: // CLOSE
          case 1: // OPEN
          case 6: // CONSOLE_OFF
          case 7: // CONSOLE_ON
          case 8: // CONSOLE_LEVEL
            return 0;
          case 2: // READ: destructive, from where the last one stopped
          case 3: // READ_ALL
          case 4: {
            // READ_CLEAR
            if (len < 0) throw new SysError(Errno.EINVAL);
            const all = encoder.encode(log.syslogText());
            let bytes = action === 2 ? all.subarray(log.readCursor) : all;
            // READ_ALL returns the newest bytes that fit.
            bytes = action === 2 ? bytes.subarray(0, len) : bytes.subarray(Math.max(0, bytes.length - len));
            t.mm.copyOut(a.arg(1), bytes);
            if (action === 2) log.readCursor += bytes.length;
            if (action === 4) log.readCursor = all.length;
            return bytes.length;
          }
          case 5: // CLEAR
            log.readCursor = encoder.encode(log.syslogText()).length;
            return 0;
          case 9: // SIZE_UNREAD
            return Math.max(0, encoder.encode(log.syslogText()).length - log.readCursor);
          case 10: // SIZE_BUFFER
            return 1 << 17;
          default:
            throw new SysError(Errno.EINVAL);
        }
      },
    },
  });
}
