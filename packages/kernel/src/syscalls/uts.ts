import type { SyscallTable } from '../syscall-table.js';
import { CAP, Errno, SysError } from '@tvisor/abi';
import { hasCapability } from '../credentials.js';

const decoder = new TextDecoder();

/** The UTS names: sethostname, setdomainname (uname is in process.ts). */
export function registerUtsSyscalls(table: SyscallTable): void {
  table.register({
    sethostname: {
      args: ['str', 'uint'],
      handler: (t, a) => {
        const n = a.arg(1);
        if (n > 64) throw new SysError(Errno.EINVAL);
        if (!hasCapability(t.creds, CAP.SYS_ADMIN)) throw new SysError(Errno.EPERM);
        t.kernel.uname.nodename = decoder.decode(t.mm.copyIn(a.arg(0), n));
        return 0;
      },
    },
    setdomainname: {
      args: ['str', 'uint'],
      handler: (t, a) => {
        const n = a.arg(1);
        if (n > 64) throw new SysError(Errno.EINVAL);
        if (!hasCapability(t.creds, CAP.SYS_ADMIN)) throw new SysError(Errno.EPERM);
        t.kernel.uname.domainname = decoder.decode(t.mm.copyIn(a.arg(0), n));
        return 0;
      },
    },
  });
}
