/**
 * Container state on disk, as runc and runsc keep it: one directory per
 * container under --root (owner-only), holding state.json and the sandbox's
 * control socket. Reading it never loads the kernel, so `state`, `list`,
 * `kill` and `delete` stay cheap.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from './errors.js';

export const OCI_VERSION = '1.1.0';

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

/** What state.json holds: the OCI state, plus what runsc needs to find the sandbox again. */
export interface ContainerState {
  ociVersion: string;
  id: string;
  status: Status;
  pid: number;
  bundle: string;
  annotations: Record<string, string>;
  /** RFC 3339 time of `create`. */
  created: string;
  /** The sandbox process's start time (field 22 of /proc/PID/stat), so a reused pid is not taken for it. */
  pidStartTime?: string;
  owner?: string;
  /** The container's exit status, once known. */
  exitStatus?: number;
}

const ID_PATTERN = /^[\w+.-]+$/;

/** Rejects IDs runc rejects (they name a directory). */
export function checkId(id: string | undefined): string {
  if (id === undefined || id === '') throw new UserError('container id cannot be empty');
  if (!ID_PATTERN.test(id) || id === '.' || id === '..') throw new UserError(`invalid id format: ${id}`);
  return id;
}

/** The state root: created (0700) when missing; a path that is not a directory is an error. */
export function openRoot(root: string): string {
  try {
    if (!statSync(root).isDirectory()) throw new UserError(`root ${root}: not a directory`);
  } catch (e) {
    if (e instanceof UserError) throw e;
    try {
      mkdirSync(root, { recursive: true, mode: 0o700 });
    } catch (e2) {
      throw new UserError(`root ${root}: ${(e2 as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'not a directory' : describe(e2)}`);
    }
  }
  return root;
}

export function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory',
    ENOTDIR: 'not a directory',
    EACCES: 'permission denied',
    EEXIST: 'file exists',
    EISDIR: 'is a directory',
  };
  return (err.code && reasons[err.code]) ?? err.message ?? String(e);
}

export function containerDir(root: string, id: string): string {
  return join(root, id);
}

export function controlSocketPath(root: string, id: string): string {
  return join(root, id, 'control.sock');
}

/** Reads a container's state, with `status` brought up to date (a dead sandbox is stopped). */
export function loadState(root: string, id: string): ContainerState {
  checkId(id);
  let text: string;
  try {
    text = readFileSync(join(containerDir(root, id), 'state.json'), 'utf8');
  } catch {
    throw new UserError(`container "${id}" does not exist`);
  }
  const state = JSON.parse(text) as ContainerState;
  if (state.status !== 'stopped' && state.status !== 'creating' && !sandboxAlive(state)) state.status = 'stopped';
  return state;
}

export function saveState(root: string, state: ContainerState): void {
  const path = join(containerDir(root, state.id), 'state.json');
  const tmp = `${path}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
  renameSync(tmp, path);
}

export function removeContainerDir(root: string, id: string): void {
  rmSync(containerDir(root, id), { recursive: true, force: true });
}

export function listIds(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((name) => existsSync(join(root, name, 'state.json')));
}

/** Field 22 of /proc/PID/stat (start time in clock ticks), or undefined when the process is gone or a zombie. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

/** Whether the sandbox process still runs (not exited, not a zombie, not a different process with its pid). */
export function sandboxAlive(state: ContainerState): boolean {
  if (state.pid <= 0) return false;
  const start = processStartTime(state.pid);
  return start !== undefined && (state.pidStartTime === undefined || state.pidStartTime === start);
}

/** The OCI state as `runsc state` prints it. */
export function publicState(state: ContainerState): Record<string, unknown> {
  return {
    ociVersion: state.ociVersion,
    id: state.id,
    status: state.status,
    pid: state.status === 'stopped' ? 0 : state.pid,
    bundle: state.bundle,
    rootfs: undefined,
    created: state.created,
    owner: state.owner ?? '',
    annotations: state.annotations,
  };
}
