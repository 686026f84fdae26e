/**
 * The bundle's config.json: read, checked against a JSON schema of
 * the parts of the OCI runtime-spec tVisor reads (config-schema.ts, compiled by ajv at build time), with a
 * one-line error naming the field at fault.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { validate } from './generated/config-validator.js';
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
    capabilities?: Partial<Record<'bounding' | 'effective' | 'inheritable' | 'permitted' | 'ambient', string[]>>;
    noNewPrivileges?: boolean;
    oomScoreAdj?: number;
  };
  root?: { path: string; readonly?: boolean };
  hostname?: string;
  mounts?: Mount[];
  hooks?: Partial<Record<'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop', Hook[]>>;
  annotations?: Record<string, string>;
  linux?: { namespaces?: { type: string; path?: string }[]; maskedPaths?: string[]; readonlyPaths?: string[]; sysctl?: Record<string, string> };
}

/** The schema's validator, compiled at build time (tools/gen-config-validator.mjs), so no process pays to compile it. */
const validateConfig = validate as unknown as ValidateFunction;

/** An ajv error as `field.path[2]: what is wrong`, naming the field as config.json spells it. */
function describeError(err: ErrorObject): string {
  const at = err.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join('')
    .replace(/^\./, '');
  const params = err.params as { missingProperty?: string; allowedValues?: unknown[] };
  if (err.keyword === 'required') return `${at ? `${at}.` : ''}${params.missingProperty}: is required`;
  if (err.keyword === 'enum') return `${at}: must be one of ${(params.allowedValues ?? []).join(', ')}`;
  return `${at || 'the top level'}: ${err.message ?? 'is invalid'}`;
}

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
  if (!validateConfig(json)) throw new UserError(`config.json: ${describeError((validateConfig.errors ?? [])[0]!)}`);
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
