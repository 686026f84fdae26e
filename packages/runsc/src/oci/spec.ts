/**
 * The bundle's config.json: read, checked against the parts of the OCI
 * runtime-spec schema tVisor uses (types and required fields), with a
 * one-line error naming the field at fault.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { UserError } from './errors.js';

export interface Mount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export interface Spec {
  ociVersion: string;
  process?: {
    terminal?: boolean;
    args?: string[];
    env?: string[];
    cwd: string;
    user: { uid: number; gid: number; umask?: number; additionalGids?: number[] };
    rlimits?: { type: string; hard: number; soft: number }[];
    noNewPrivileges?: boolean;
  };
  root?: { path: string; readonly?: boolean };
  hostname?: string;
  mounts?: Mount[];
  hooks?: Partial<Record<'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop', Hook[]>>;
  annotations?: Record<string, string>;
  linux?: { namespaces?: { type: string; path?: string }[]; maskedPaths?: string[]; readonlyPaths?: string[] };
}

type Check = (v: unknown, at: string) => void;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(at: string, what: string): never {
  throw new UserError(`config.json: ${at}: ${what}`);
}

const str: Check = (v, at) => typeof v !== 'string' && fail(at, 'must be a string');
const bool: Check = (v, at) => typeof v !== 'boolean' && fail(at, 'must be a boolean');
const uint: Check = (v, at) => (typeof v !== 'number' || !Number.isInteger(v) || v < 0) && fail(at, 'must be a non-negative integer');
const int: Check = (v, at) => (typeof v !== 'number' || !Number.isInteger(v)) && fail(at, 'must be an integer');
const arrayOf =
  (item: Check): Check =>
  (v, at) => {
    if (!Array.isArray(v)) fail(at, 'must be an array');
    v.forEach((x, i) => item(x, `${at}[${i}]`));
  };
const mapOf =
  (item: Check): Check =>
  (v, at) => {
    if (!isObject(v)) fail(at, 'must be an object');
    for (const [k, x] of Object.entries(v)) item(x, `${at}.${k}`);
  };
function object(fields: Record<string, Check>, required: string[] = []): Check {
  return (v, at) => {
    if (!isObject(v)) fail(at, 'must be an object');
    for (const r of required) if (v[r] === undefined) fail(`${at}.${r}`, 'is required');
    for (const [k, check] of Object.entries(fields)) if (v[k] !== undefined) check(v[k], `${at}.${k}`);
  };
}

const hook = object({ path: str, args: arrayOf(str), env: arrayOf(str), timeout: uint }, ['path']);
const schema = object(
  {
    ociVersion: str,
    process: object(
      {
        terminal: bool,
        args: arrayOf(str),
        env: arrayOf(str),
        cwd: str,
        user: object({ uid: uint, gid: uint, umask: uint, additionalGids: arrayOf(uint) }, ['uid', 'gid']),
        rlimits: arrayOf(object({ type: str, hard: uint, soft: uint }, ['type', 'hard', 'soft'])),
        noNewPrivileges: bool,
        oomScoreAdj: int,
        consoleSize: object({ height: uint, width: uint }, ['height', 'width']),
        apparmorProfile: str,
        selinuxLabel: str,
      },
      ['cwd', 'user'],
    ),
    root: object({ path: str, readonly: bool }, ['path']),
    hostname: str,
    domainname: str,
    mounts: arrayOf(object({ destination: str, type: str, source: str, options: arrayOf(str) }, ['destination'])),
    hooks: object(
      Object.fromEntries(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'].map((h) => [h, arrayOf(hook)])),
    ),
    annotations: mapOf(str),
    linux: object({
      namespaces: arrayOf(object({ type: str, path: str }, ['type'])),
      maskedPaths: arrayOf(str),
      readonlyPaths: arrayOf(str),
    }),
  },
  ['ociVersion'],
);

/** Reads and checks `<bundle>/config.json`; the process must have args and a cwd that is absolute. */
export function loadSpec(bundle: string): Spec {
  const path = join(bundle, 'config.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EISDIR' ? 'is a directory' : String(code)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${path}: invalid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  schema(json, 'config');
  return json as Spec;
}

/** The checks `create` adds: a process with args and an absolute cwd, and a root that exists. */
export function checkRunnable(spec: Spec, bundle: string): { rootfs: string } {
  if (!spec.process) throw new UserError('config.json: process: is required');
  if (!spec.process.args || spec.process.args.length === 0) throw new UserError('config.json: process.args must not be empty');
  if (!isAbsolute(spec.process.cwd)) throw new UserError(`config.json: process.cwd "${spec.process.cwd}" is not an absolute path`);
  if (!spec.root) throw new UserError('config.json: root: is required');
  const rootfs = resolve(bundle, spec.root.path);
  if (!existsSync(rootfs)) throw new UserError(`rootfs ${rootfs}: no such file or directory`);
  if (!statSync(rootfs).isDirectory()) throw new UserError(`rootfs ${rootfs}: not a directory`);
  return { rootfs };
}

/**
 * Whether the sandbox gets a network namespace of its own: the spec asks for
 * one without a path (docker's way: a prestart hook then moves the
 * container's veth into the sandbox process's namespace) and runsc is root.
 */
export function wantsOwnNetns(spec: Spec): boolean {
  const ns = spec.linux?.namespaces?.find((n) => n.type === 'network');
  return ns !== undefined && !ns.path && process.getuid?.() === 0;
}
