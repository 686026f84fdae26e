import type { SyscallTable } from '../syscall-table.js';
import type { Task } from '../task.js';
import { CAP, Errno, SysError } from '@tvisor/abi';
import { namespacesOf } from '../namespaces.js';
import { hasCapabilityIn } from '../user-namespace.js';

const decoder = new TextDecoder();

/** sethostname/setdomainname: the caller's UTS namespace's name, with CAP_SYS_ADMIN over the namespace's owner. */
function setName(t: Task, field: 'nodename' | 'domainname', addr: number, n: number): number {
  if (n > 64) throw new SysError(Errno.EINVAL);
  const uts = namespacesOf(t.kernel, t.group).uts;
  if (!hasCapabilityIn(t.creds, CAP.SYS_ADMIN, uts.owner)) throw new SysError(Errno.EPERM);
  uts.names[field] = decoder.decode(t.mm.copyIn(addr, n));
  return 0;
}

/** The UTS names: sethostname, setdomainname (uname is in process.ts). */
export function registerUtsSyscalls(table: SyscallTable): void {
  table.register({
    sethostname: { args: ['str', 'uint'], handler: (t, a) => setName(t, 'nodename', a.arg(0), a.arg(1)) },
    setdomainname: { args: ['str', 'uint'], handler: (t, a) => setName(t, 'domainname', a.arg(0), a.arg(1)) },
  });
}
