/**
 * config.json's linux.sysctl, applied as runc applies it: each key names a
 * file under /proc/sys (dots for slashes), and the value is written there
 * before the container's process starts. Here that /proc/sys is the
 * sandbox's own, so the setting is the sandbox kernel's, never the host's.
 */
import { Errno, O, SysError, strerror } from '@tvisor/abi';
import { ROOT_CREDENTIALS, type VirtualFilesystem } from '@tvisor/vfs';
import { UserError } from './errors.js';

/** The IPC namespace's settings runc accepts by name (the others it takes by prefix). */
const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/**
 * Rejects a key runc rejects: one that is not the setting of a namespace a
 * container has (IPC, network, UTS), since it would be the whole machine's.
 */
function checkNamespaced(key: string): void {
  if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.') || key.startsWith('net.') || key === 'kernel.hostname' || key === 'kernel.domainname') return;
  throw new UserError(`sysctl "${key}" is not in a separate kernel namespace`);
}

/** The /proc/sys path of a key: `net.ipv4.ip_forward` or `net/ipv4/ip_forward`. */
export function sysctlPath(key: string): string {
  return `/proc/sys/${key.includes('/') ? key.replace(/^\/+/, '') : key.replace(/\./g, '/')}`;
}

/**
 * Writes each of `sysctl`'s values to the sandbox's /proc/sys (mounted at
 * /proc in `vfs`), as root. A key the sandbox has no file for, or a value
 * the file refuses, fails the container's creation with a one-line error.
 */
export function applySysctls(vfs: VirtualFilesystem, sysctl: Record<string, string> | undefined): void {
  const ctx = vfs.context(ROOT_CREDENTIALS);
  for (const [key, value] of Object.entries(sysctl ?? {})) {
    const dotted = key.replace(/^\/+/, '').replace(/\//g, '.');
    checkNamespaced(dotted);
    const path = sysctlPath(key);
    if (path.split('/').includes('..')) throw new UserError(`sysctl "${key}": invalid name`);
    let fd;
    try {
      fd = vfs.openAt(ctx, path, { flags: O.WRONLY });
    } catch (e) {
      const why =
        e instanceof SysError ? (e.errno === Errno.ENOENT ? 'not supported by tVisor (no such file in its /proc/sys)' : strerror(e.errno)) : String(e);
      throw new UserError(`sysctl "${key}": ${path}: ${why}`);
    }
    try {
      fd.write(new TextEncoder().encode(value));
    } catch (e) {
      throw new UserError(`sysctl "${key}" = "${value}": ${e instanceof SysError ? strerror(e.errno) : String(e)}`);
    } finally {
      fd.decRef();
    }
  }
}
