import { getSystemErrorMap } from 'node:util';
import { errnoName } from '@tvisor/abi';
import { SysError } from '../abi.js';

/** A node:net-shaped error: `code`, negative `errno`, `syscall`, and the peer when there is one. */
export interface NodeNetError extends Error {
  errno: number;
  code: string;
  syscall: string;
  address?: string;
  port?: number;
}

const uvErrors = getSystemErrorMap();

/**
 * The error node:net reports for `errno` (positive, Linux's) from `syscall`:
 * `connect ECONNREFUSED 10.0.0.1:7` as Node's exceptionWithHostPort, or with
 * `withText` `listen EADDRINUSE: address already in use 0.0.0.0:7` as its
 * UVExceptionWithHostPort.
 */
export function nodeNetError(errno: number, syscall: string, address?: string, port?: number, withText = false): NodeNetError {
  const [code, text] = uvErrors.get(-errno) ?? [errnoName(errno), `unknown error ${errno}`];
  let details = '';
  if (port !== undefined && port > 0) details = ` ${address}:${port}`;
  else if (address !== undefined) details = ` ${address}`;
  const err = new Error(withText ? `${syscall} ${code}: ${text}${details}` : `${syscall} ${code}${details}`) as NodeNetError;
  err.errno = -errno;
  err.code = code;
  err.syscall = syscall;
  if (address !== undefined) err.address = address;
  if (port !== undefined && port > 0) err.port = port;
  return err;
}

/** Runs a socket call; a `SysError` becomes the node:net error for `syscall`. */
export function asNet<T>(syscall: string, fn: () => T, address?: string, port?: number): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SysError) throw nodeNetError(e.errno, syscall, address, port);
    throw e;
  }
}
