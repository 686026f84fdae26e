/**
 * The OCI lifecycle commands that start things: create (and run), start,
 * exec. They speak to the sandbox over its control socket; only `create`
 * starts a process that loads the kernel (`runsc boot`).
 */
import type { spawn as Spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { O } from '@tvisor/abi';
import { callControl, type ExecProcess } from './control.js';
import { builtinModule } from '../builtin-module.js';
import { UserError } from './errors.js';
import { parseOverlay2 } from './overlay.js';
import { log, logFlags } from './log.js';
import { onlyLoopback } from '../netns-loopback.js';
import { checkRunnable, loadSpec, wantsOwnNetns, type Hook, type Spec } from './spec.js';
import {
  checkId,
  containerDir,
  controlSocketPath,
  loadState,
  OCI_VERSION,
  processStartTime,
  publicState,
  removeContainerDir,
  saveState,
  type ContainerState,
} from './state.js';

// node:child_process and node:net are loaded by the commands that use them
// (create, exec, hooks, a console), not by every start, delete or state.
const childProcess = () => builtinModule('node:child_process');

/** The runsc entry point, to start child runsc processes (boot, a detached exec). */
function self(): string[] {
  return [process.execPath, process.argv[1]];
}

/**
 * The environment of a child runsc: ours without NODE_EXTRA_CA_CERTS, which
 * Node would parse at its start though runsc makes no TLS connection (see
 * bin/runsc.js, which puts it back from TVISOR_EXTRA_CA_CERTS).
 */
export function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (env.NODE_EXTRA_CA_CERTS !== undefined) {
    env.TVISOR_EXTRA_CA_CERTS = env.NODE_EXTRA_CA_CERTS;
    delete env.NODE_EXTRA_CA_CERTS;
  }
  return env;
}

/** Runs a spec's hooks of one kind on the host, the state JSON on stdin, as runc does; the first failure is an error. */
export function runHooks(spec: Spec | undefined, kind: keyof NonNullable<Spec['hooks']>, state: ContainerState): void {
  for (const hook of spec?.hooks?.[kind] ?? []) {
    const r = childProcess().spawnSync(hook.path, (hook.args ?? [hook.path]).slice(1), {
      argv0: hook.args?.[0],
      input: JSON.stringify(publicState(state)),
      env: hook.env ? Object.fromEntries(hook.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])) : {},
      timeout: hook.timeout ? hook.timeout * 1000 : undefined,
      stdio: ['pipe', 'inherit', 'inherit'],
    } as Parameters<ReturnType<typeof childProcess>['spawnSync']>[2]);
    if (r.error || r.status !== 0) throw new UserError(`${kind} hook ${hookName(hook)}: ${r.error ? r.error.message : `exit status ${r.status ?? r.signal}`}`);
  }
}

function hookName(h: Hook): string {
  return h.path;
}

/** Connects to a console socket and sends the pty master over it (SCM_RIGHTS), as runc does. */
async function sendConsole(socketPath: string, master: number): Promise<void> {
  const { sendWithFds } = await import('../native/unix.js');
  await new Promise<void>((res, rej) => {
    const sock = builtinModule('node:net').createConnection(socketPath);
    sock.on('error', (e) => rej(new UserError(`console socket ${socketPath}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
    sock.on('connect', () => {
      sendWithFds((sock as unknown as { _handle: { fd: number } })._handle.fd, Buffer.from('/dev/ptmx'), [master]);
      // Closed outright, not half-closed: containerd's shim keeps its end open until create
      // exits, and a socket waiting for the peer's FIN would keep create from exiting.
      sock.destroy();
      res();
    });
  });
}

/** A host pty for `terminal: true`: the master goes to the console socket, the replica becomes stdio. */
async function terminalStdio(consoleSocket: string | undefined): Promise<number> {
  if (!consoleSocket) throw new UserError('cannot allocate tty if runc will detach without setting console socket');
  const { openPty } = await import('../native/unix.js');
  const { master, replicaPath } = openPty();
  await sendConsole(consoleSocket, master);
  closeSync(master);
  return openSync(replicaPath, O.RDWR | O.NOCTTY);
}

export interface CreateOptions {
  root: string;
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  strace: boolean;
  /** --platform, passed on to boot. */
  platform?: string;
  /** The --overlay2 value (gVisor's: none, root:memory, ...), checked here and passed to the sandbox. */
  overlay2: string;
  /** `run` keeps the sandbox as its child to wait for it. */
  keepChild?: boolean;
}

/** `create`: starts the sandbox process and returns once it holds the container's init, ready to start. */
export async function create(opts: CreateOptions): Promise<{ state: ContainerState; exited?: Promise<number> }> {
  checkId(opts.id);
  parseOverlay2(opts.overlay2);
  const bundle = resolve(opts.bundle);
  const spec = loadSpec(bundle);
  checkRunnable(spec, bundle);
  const dir = containerDir(opts.root, opts.id);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new UserError(`container with id exists: ${opts.id}`);
    throw e;
  }
  const state: ContainerState = {
    ociVersion: spec.ociVersion ?? OCI_VERSION,
    id: opts.id,
    status: 'creating',
    pid: 0,
    bundle,
    annotations: spec.annotations ?? {},
    created: new Date().toISOString(),
    owner: '',
  };
  let child: ReturnType<typeof Spawn> | undefined;
  try {
    saveState(opts.root, state);
    const stdio = spec.process?.terminal ? await terminalStdio(opts.consoleSocket) : undefined;
    const args = [
      ...self(),
      ...logFlags(),
      `--root=${opts.root}`,
      `--overlay2=${opts.overlay2}`,
      ...(opts.strace ? ['--strace'] : []),
      ...(opts.platform ? [`--platform=${opts.platform}`] : []),
      'boot',
      `--bundle=${bundle}`,
      opts.id,
    ];
    // A network namespace of its own: unshare(1) execs the sandbox in it, so hooks see it at /proc/PID/ns/net.
    const launch = wantsOwnNetns(spec) ? ['unshare', '--net', '--', ...args] : args;
    child = childProcess().spawn(launch[0], launch.slice(1), {
      stdio: stdio !== undefined ? [stdio, stdio, stdio, 'pipe'] : ['inherit', 'inherit', 'inherit', 'pipe'],
      detached: true,
      env: childEnv(),
    });
    if (stdio !== undefined) closeSync(stdio);
    const sandbox = child;
    const exited = new Promise<number>((res) => sandbox.on('exit', (code, sig) => res(code ?? 128 + (sig ? 15 : 0))));
    const answer = await new Promise<string>((res) => {
      let text = '';
      const pipe = sandbox.stdio[3] as NodeJS.ReadableStream;
      pipe.on('data', (d) => (text += d.toString()));
      pipe.on('end', () => res(text.trim()));
      pipe.on('error', () => res(text.trim()));
    });
    if (answer !== 'ready') throw new UserError(answer.startsWith('error ') ? answer.slice(6) : `sandbox failed to start${answer ? `: ${answer}` : ''}`);
    state.pid = sandbox.pid!;
    state.pidStartTime = processStartTime(state.pid);
    state.status = 'created';
    saveState(opts.root, state);
    runHooks(spec, 'createRuntime', state);
    runHooks(spec, 'createContainer', state);
    runHooks(spec, 'prestart', state);
    if (opts.pidFile) writeFileSync(opts.pidFile, String(state.pid));
    if (!opts.keepChild) {
      (sandbox.stdio[3] as unknown as { destroy(): void }).destroy();
      sandbox.unref();
      return { state };
    }
    return { state, exited };
  } catch (e) {
    if (child?.pid && child.exitCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    child?.unref();
    removeContainerDir(opts.root, opts.id);
    throw e;
  }
}

/** `start`: lets a created container's init run. */
export async function start(root: string, id: string): Promise<void> {
  const state = loadState(root, id);
  if (state.status !== 'created')
    throw new UserError(`cannot start a container that has ${state.status === 'stopped' ? 'stopped' : `already started (status ${state.status})`}`);
  let spec: Spec | undefined;
  try {
    spec = loadSpec(state.bundle);
  } catch {
    // The bundle may be gone after create: no hooks to run.
  }
  // The hooks have put the container's veth in the sandbox's namespace; its peer is in ours.
  if (spec && wantsOwnNetns(spec) && !onlyLoopback(`/proc/${state.pid}/ns/net`)) {
    const { disablePeerOffloads } = await import('../netns-links.js');
    try {
      disablePeerOffloads(`/proc/${state.pid}/ns/net`, (m) => log('warning', m));
    } catch (e) {
      log('warning', `network: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const reply = await callControl(controlSocketPath(root, id), { op: 'start' });
  if (!reply?.ok) throw new UserError(reply?.error ?? 'sandbox did not answer');
  runHooks(spec, 'poststart', { ...state, status: 'running' });
}

export interface ExecOptions {
  root: string;
  id: string;
  process: ExecProcess & { terminal?: boolean };
  detach: boolean;
  pidFile?: string;
  consoleSocket?: string;
  /** A detached exec's helper tells its parent on this fd that the process started (or why not). */
  startedFd?: number;
  /** Flags to give the helper that a detached exec starts. */
  helperArgs: string[];
}

/** `exec`: runs a new process in the container's sandbox; returns its exit status (0 at once when detached). */
export async function exec(opts: ExecOptions): Promise<number> {
  const state = loadState(opts.root, opts.id);
  if (state.status !== 'running') throw new UserError(`cannot exec in a ${state.status} container`);
  if (opts.detach) {
    // As gVisor does: a child runsc waits for the process and exits with its status; its pid is the one to wait for.
    const args = [...self(), ...opts.helperArgs];
    // With a terminal the process's stdio is the pty, so the helper keeps none of ours: a shim
    // that reads our stdout to its end (containerd's, for exec -t) would otherwise wait on the
    // helper, which lives as long as the process.
    const stdio = opts.process.terminal ? 'ignore' : 'inherit';
    const child = childProcess().spawn(args[0], args.slice(1), { stdio: [stdio, stdio, stdio, 'pipe'], detached: true, env: childEnv() });
    const answer = await new Promise<string>((res) => {
      let text = '';
      const pipe = child.stdio[3] as NodeJS.ReadableStream;
      pipe.on('data', (d) => {
        text += d.toString();
        if (text.includes('\n')) res(text.trim());
      });
      pipe.on('end', () => res(text.trim()));
      pipe.on('error', () => res(text.trim()));
    });
    if (answer !== 'started') throw new UserError(answer.startsWith('error ') ? answer.slice(6) : 'exec failed');
    if (opts.pidFile) writeFileSync(opts.pidFile, String(child.pid));
    (child.stdio[3] as unknown as { destroy(): void }).destroy();
    child.unref();
    return 0;
  }
  const tell = (msg: string) => {
    if (opts.startedFd === undefined) return;
    try {
      writeFileSync(opts.startedFd, msg + '\n');
      closeSync(opts.startedFd);
    } catch {
      // The parent is gone.
    }
    opts.startedFd = undefined;
  };
  try {
    const tty = opts.process.terminal ? await terminalStdio(opts.consoleSocket) : undefined;
    const fds = tty !== undefined ? [tty, tty, tty] : [0, 1, 2];
    let exit: number | undefined;
    let error: string | undefined;
    await callControl(controlSocketPath(opts.root, opts.id), { op: 'exec', process: opts.process }, fds, (r) => {
      if (r.error) error = r.error;
      if (r.ok) tell('started');
      if (r.exit !== undefined) exit = r.exit;
    });
    if (tty !== undefined) closeSync(tty);
    if (error) throw new UserError(error);
    if (exit === undefined) throw new UserError('sandbox ended before the process exited');
    return exit;
  } catch (e) {
    tell(`error ${(e as Error).message}`);
    throw e;
  }
}

/** Reads `exec --process FILE`: a runtime-spec process object. */
export function readProcessFile(path: string): ExecProcess & { terminal?: boolean } {
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(
      `process file ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message.split('\n')[0]}`,
    );
  }
  const user = (p.user ?? {}) as { uid?: number; gid?: number; additionalGids?: number[] };
  if (!Array.isArray(p.args) || p.args.length === 0) throw new UserError(`process file ${path}: args must not be empty`);
  return {
    args: p.args as string[],
    env: (p.env as string[]) ?? [],
    cwd: (p.cwd as string) || '/',
    uid: user.uid ?? 0,
    gid: user.gid ?? 0,
    additionalGids: user.additionalGids,
    terminal: p.terminal === true,
  };
}
