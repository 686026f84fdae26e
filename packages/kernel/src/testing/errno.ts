import { SysError } from '@tvisor/abi';

/** The errno a call throws as a SysError, or 0 when it returns. */
export function errnoOf(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof SysError) return e.errno;
    throw e;
  }
  return 0;
}
