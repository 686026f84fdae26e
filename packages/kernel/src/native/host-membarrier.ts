/**
 * The host's membarrier(2), through koffi. Application threads run in host
 * stub processes the sentry does not schedule, so a barrier on all of them
 * needs the host kernel: MEMBARRIER_CMD_GLOBAL makes every host CPU pass a
 * full memory barrier before it returns.
 */
import koffi from 'koffi';
import { Errno, MEMBARRIER_CMD, SYS, SysError } from '@tvisor/abi';

const libc = koffi.load('libc.so.6');
const membarrier_ = libc.func('long syscall(long nr, int cmd, unsigned int flags, int cpu)');

/** A memory barrier on every thread running on the host (EINVAL if the host lacks membarrier). */
export function hostGlobalMembarrier(): void {
  if ((membarrier_(SYS.membarrier, MEMBARRIER_CMD.GLOBAL, 0, 0) as number) !== 0) throw new SysError(Errno.EINVAL);
}
