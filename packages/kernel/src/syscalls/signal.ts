import { Errno, NSIG, SIG_HOW, Signal, SysError } from '@tvisor/abi';
import type { SyscallTable } from './table.js';

const SIGSET_SIZE = 8;
const SIGACTION_SIZE = 32;
/** SIGKILL and SIGSTOP can be neither caught nor blocked. */
const UNBLOCKABLE = (1n << BigInt(Signal.SIGKILL - 1)) | (1n << BigInt(Signal.SIGSTOP - 1));

/**
 * Signal dispositions and masks. They are recorded and reported back
 * faithfully; delivery of handlers comes with the signal work (issue 7).
 */
export function registerSignalSyscalls(table: SyscallTable): void {
  table.register({
    rt_sigaction: {
      args: ['int', 'ptr', 'ptr', 'uint'],
      support: 'partial',
      note: 'dispositions are recorded; handlers are not delivered yet',
      handler: (t, a) => {
        const sig = a.argInt(0);
        if (a.arg(3) !== SIGSET_SIZE) throw new SysError(Errno.EINVAL);
        if (sig < 1 || sig > NSIG) throw new SysError(Errno.EINVAL);
        const actions = t.group.signals.actions;
        const old = actions[sig];
        if (a.arg(2) !== 0) {
          const out = new DataView(new ArrayBuffer(SIGACTION_SIZE));
          out.setBigUint64(0, old.handler, true);
          out.setBigUint64(8, old.flags, true);
          out.setBigUint64(16, old.restorer, true);
          out.setBigUint64(24, old.mask, true);
          t.mm.copyOut(a.arg(2), new Uint8Array(out.buffer));
        }
        if (a.arg(1) !== 0) {
          if (sig === Signal.SIGKILL || sig === Signal.SIGSTOP) throw new SysError(Errno.EINVAL);
          const b = t.mm.copyIn(a.arg(1), SIGACTION_SIZE);
          const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
          actions[sig] = {
            handler: v.getBigUint64(0, true),
            flags: v.getBigUint64(8, true),
            restorer: v.getBigUint64(16, true),
            mask: v.getBigUint64(24, true) & ~UNBLOCKABLE,
          };
        }
        return 0;
      },
    },
    rt_sigprocmask: {
      args: ['int', 'ptr', 'ptr', 'uint'],
      handler: (t, a) => {
        if (a.arg(3) !== SIGSET_SIZE) throw new SysError(Errno.EINVAL);
        const state = t.group.signals;
        const old = state.blocked;
        if (a.arg(1) !== 0) {
          const b = t.mm.copyIn(a.arg(1), SIGSET_SIZE);
          const set = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true) & ~UNBLOCKABLE;
          switch (a.argInt(0)) {
            case SIG_HOW.BLOCK: state.blocked = old | set; break;
            case SIG_HOW.UNBLOCK: state.blocked = old & ~set; break;
            case SIG_HOW.SETMASK: state.blocked = set; break;
            default: throw new SysError(Errno.EINVAL);
          }
        }
        if (a.arg(2) !== 0) {
          const out = new Uint8Array(SIGSET_SIZE);
          new DataView(out.buffer).setBigUint64(0, old, true);
          t.mm.copyOut(a.arg(2), out);
        }
        return 0;
      },
    },
  });
}
