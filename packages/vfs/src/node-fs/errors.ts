import { getSystemErrorMap } from 'node:util';
import { errnoName } from '@tvisor/abi';
import { Errno, SysError } from '../abi.js';

/** A node:fs-shaped error: what `fs.*Sync` throws for a failed system call. */
export interface NodeFsError extends Error {
  errno: number;
  code: string;
  syscall: string;
  path?: string;
  dest?: string;
}

// libuv's texts ("no such file or directory"), which Node puts in fs messages; they differ from strerror's.
const uvErrors = getSystemErrorMap();

/**
 * The error node:fs throws for `errno` (positive, Linux's) from `syscall`:
 * `CODE: text, syscall 'path' -> 'dest'`, with errno negative as Node has it.
 */
export function nodeFsError(errno: number, syscall: string, path?: string, dest?: string): NodeFsError {
  const [code, text] = uvErrors.get(-errno) ?? [errnoName(errno), `unknown error ${errno}`];
  let message = `${code}: ${text}, ${syscall}`;
  if (path !== undefined) message += ` '${path}'`;
  if (dest !== undefined) message += ` -> '${dest}'`;
  const err = new Error(message) as NodeFsError;
  err.errno = -errno;
  err.code = code;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  if (dest !== undefined) err.dest = dest;
  Error.captureStackTrace(err, nodeFsError);
  return err;
}

/** Runs a VFS call, turning a `SysError` into the node:fs error for `syscall` on `path`. */
export function asNode<T>(syscall: string, path: string | undefined, fn: () => T, dest?: string): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SysError) throw nodeFsError(e.errno, syscall, path, dest);
    throw e;
  }
}

/** Node's TypeError for a bad argument (code ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE). */
export function invalidArg(code: 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE', message: string): TypeError {
  const err = new TypeError(message) as TypeError & { code: string };
  err.code = code;
  return err;
}

/** rm(2)-less Node's `fs.rmSync` on a directory without `recursive`: a SystemError ERR_FS_EISDIR. */
export function rmIsDirectoryError(path: string): Error {
  const err = new Error(`Path is a directory: rm returned EISDIR (is a directory) ${path}`) as Error & Record<string, unknown>;
  err.name = 'SystemError';
  err.code = 'ERR_FS_EISDIR';
  err.info = { code: 'EISDIR', message: 'is a directory', path, syscall: 'rm', errno: Errno.EISDIR };
  err.errno = Errno.EISDIR;
  err.syscall = 'rm';
  err.path = path;
  return err;
}
