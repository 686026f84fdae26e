/**
 * The OCI subcommands, with their flags as runc and gVisor's runsc take
 * them. `state`, `list`, `kill`, `delete` and the other light commands read
 * the state directory and talk to the control socket; none loads the kernel.
 */
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Signal } from '@tvisor/abi';
import { flagList, UsageError, type FlagSpec, type FlagValues } from '../flags.js';
import { callControl } from './control.js';
import { UserError } from './errors.js';
import { create, exec, readProcessFile, runHooks, start } from './lifecycle.js';
import { loadSpec, type Spec } from './spec.js';
import { checkId, controlSocketPath, listIds, loadState, openRoot, publicState, removeContainerDir, sandboxAlive, type ContainerState } from './state.js';

export interface CommandContext {
  global: FlagValues;
  values: FlagValues;
  args: string[];
  out: (s: string) => void;
  /** The command line of this runsc, to pass on to a helper runsc (a detached exec). */
  argv: readonly string[];
}

export interface Command {
  synopsis: string;
  usage: string;
  flags: Record<string, FlagSpec>;
  run(ctx: CommandContext): Promise<number>;
}

const str = (help: string, def?: string): FlagSpec => ({ kind: 'string', help, default: def });
const bool = (help: string, aliases?: string[]): FlagSpec => ({ kind: 'bool', help, aliases });

function root(ctx: CommandContext): string {
  return openRoot(String(ctx.global.root));
}

function oneId(ctx: CommandContext, name: string): string {
  if (ctx.args.length < 1) throw new UsageError(`${name}: container id is required`);
  return checkId(ctx.args[0]);
}

/** A signal by name (KILL, SIGKILL) or number, as kill(1) and runc take it. */
export function parseSignal(s: string): number {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n > 64) throw new UserError(`invalid signal: ${s}`);
    return n;
  }
  const name = s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`;
  const n = (Signal as Record<string, number>)[name];
  if (n === undefined) throw new UserError(`invalid signal: ${s}`);
  return n;
}

async function control(r: string, id: string, req: Parameters<typeof callControl>[1]) {
  const reply = await callControl(controlSocketPath(r, id), req);
  if (!reply) throw new UserError('sandbox did not answer');
  if (reply.error) throw new UserError(reply.error);
  return reply;
}

function running(state: ContainerState): void {
  if (state.status === 'stopped') throw new UserError('container not running');
}

/** Waits (polling /proc, at most `ms`) until the sandbox process has gone. */
async function awaitDeath(state: ContainerState, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (sandboxAlive(state) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
}

const DEFAULT_SPEC = (): Spec & Record<string, unknown> => ({
  ociVersion: '1.1.0',
  process: {
    terminal: true,
    user: { uid: 0, gid: 0 },
    args: ['sh'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
    cwd: '/',
    rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
    noNewPrivileges: true,
  },
  root: { path: 'rootfs', readonly: true },
  hostname: 'runsc',
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  ],
  linux: { namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }] },
});

export const COMMANDS: Record<string, Command> = {
  create: {
    synopsis: 'create a secure container',
    usage: 'create [flags] <container id> - create a secure container',
    flags: {
      bundle: { kind: 'string', help: 'path to the root of the bundle directory, defaults to the current directory', aliases: ['b'] },
      'pid-file': str('filename that the container pid will be written to'),
      'console-socket': str("path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal"),
      'no-pivot': bool('accepted for runc compatibility; the sandbox has its own root'),
      'no-new-keyring': bool('accepted for runc compatibility'),
      'preserve-fds': str('accepted for runc compatibility: extra fds are not passed in', '0'),
      'user-log': str('accepted for gVisor compatibility'),
    },
    async run(ctx) {
      const id = oneId(ctx, 'create');
      await create({
        root: root(ctx),
        id,
        bundle: String(ctx.values.bundle ?? process.cwd()),
        pidFile: ctx.values['pid-file'] as string | undefined,
        consoleSocket: ctx.values['console-socket'] as string | undefined,
        strace: ctx.global.strace === true,
        platform: ctx.global.platform as string | undefined,
        overlay2: String(ctx.global.overlay2),
      });
      return 0;
    },
  },
  start: {
    synopsis: 'start a created container',
    usage: 'start <container id> - start a secure container',
    flags: {},
    async run(ctx) {
      await start(root(ctx), oneId(ctx, 'start'));
      return 0;
    },
  },
  run: {
    synopsis: 'create and run a secure container',
    usage: 'run [flags] <container id> - create and run a secure container',
    flags: {
      bundle: { kind: 'string', help: 'path to the root of the bundle directory, defaults to the current directory', aliases: ['b'] },
      'pid-file': str('filename that the container pid will be written to'),
      'console-socket': str("path to an AF_UNIX socket which will receive the console's pseudoterminal master"),
      detach: bool("detach from the container's process", ['d']),
      'no-pivot': bool('accepted for runc compatibility'),
      'no-new-keyring': bool('accepted for runc compatibility'),
      'preserve-fds': str('accepted for runc compatibility', '0'),
    },
    async run(ctx) {
      const id = oneId(ctx, 'run');
      const r = root(ctx);
      const detach = ctx.values.detach === true;
      const { exited } = await create({
        root: r,
        id,
        bundle: String(ctx.values.bundle ?? process.cwd()),
        pidFile: ctx.values['pid-file'] as string | undefined,
        consoleSocket: ctx.values['console-socket'] as string | undefined,
        strace: ctx.global.strace === true,
        platform: ctx.global.platform as string | undefined,
        overlay2: String(ctx.global.overlay2),
        keepChild: !detach,
      });
      await start(r, id);
      if (detach || !exited) return 0;
      const code = await exited;
      await destroy(r, loadState(r, id));
      return code;
    },
  },
  state: {
    synopsis: 'get the state of a container',
    usage: 'state [flags] <container id> - get the state of a container',
    flags: {},
    async run(ctx) {
      const state = loadState(root(ctx), oneId(ctx, 'state'));
      ctx.out(JSON.stringify(publicState(state), null, 2) + '\n');
      return 0;
    },
  },
  kill: {
    synopsis: 'sends a signal to the container',
    usage: 'kill [flags] <container id> [signal] - sends a signal to the container (default SIGTERM)',
    flags: {
      all: bool('send the specified signal to all processes inside the container', ['a']),
      pid: str('send the signal to a specific process (accepted; the signal goes to init)'),
    },
    async run(ctx) {
      const r = root(ctx);
      const id = oneId(ctx, 'kill');
      const sig = parseSignal(ctx.args[1] ?? 'SIGTERM');
      const state = loadState(r, id);
      running(state);
      await control(r, id, { op: 'kill', signal: sig, all: ctx.values.all === true });
      return 0;
    },
  },
  delete: {
    synopsis: 'delete resources held by a container',
    usage: 'delete [flags] <container ids> - delete resources held by a container',
    flags: { force: bool('forcibly delete a running container', ['f']) },
    async run(ctx) {
      const r = root(ctx);
      if (ctx.args.length === 0) throw new UsageError('delete: container id is required');
      for (const id of ctx.args) {
        checkId(id);
        let state: ContainerState;
        try {
          state = loadState(r, id);
        } catch (e) {
          if (ctx.values.force === true) continue;
          throw e;
        }
        if ((state.status === 'running' || state.status === 'paused') && ctx.values.force !== true) {
          throw new UserError(`cannot delete container ${id} that is not stopped: ${state.status}`);
        }
        await destroy(r, state);
      }
      return 0;
    },
  },
  list: {
    synopsis: 'list containers',
    usage: 'list [flags] - list containers',
    flags: { format: str('select one of: table or json', 'table'), quiet: bool('display only container IDs', ['q']) },
    async run(ctx) {
      const r = String(ctx.global.root);
      const states = (existsSync(r) ? listIds(r) : []).map((id) => loadState(r, id));
      if (ctx.values.quiet === true) ctx.out(states.map((s) => s.id + '\n').join(''));
      else if (ctx.values.format === 'json') ctx.out(JSON.stringify(states.map((s) => publicState(s))) + '\n');
      else if (ctx.values.format === 'table') {
        const rows = [
          ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'],
          ...states.map((s) => [s.id, String(s.status === 'stopped' ? 0 : s.pid), s.status, s.bundle, s.created, s.owner || 'root']),
        ];
        const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
        ctx.out(rows.map((row) => row.map((c, i) => (i < row.length - 1 ? c.padEnd(widths[i] + 3) : c)).join('') + '\n').join(''));
      } else throw new UserError(`invalid format option: ${String(ctx.values.format)}`);
      return 0;
    },
  },
  ps: {
    synopsis: 'ps displays the processes running inside a container',
    usage: 'ps [flags] <container id> - list processes running inside the container',
    flags: { format: str('select one of: table or json', 'table') },
    async run(ctx) {
      const r = root(ctx);
      const id = oneId(ctx, 'ps');
      running(loadState(r, id));
      const { pids = [] } = await control(r, id, { op: 'ps' });
      if (ctx.values.format === 'json') ctx.out(JSON.stringify(pids.map((p) => p.pid)) + '\n');
      else if (ctx.values.format === 'table')
        ctx.out(
          [
            'UID       PID       PPID      STAT      CMD',
            ...pids.map((p) => [p.uid, p.pid, p.ppid, p.state].map((v) => String(v).padEnd(10)).join('') + p.cmd),
          ].join('\n') + '\n',
        );
      else throw new UserError(`invalid format option: ${String(ctx.values.format)}`);
      return 0;
    },
  },
  exec: {
    synopsis: 'execute new process inside the container',
    usage: 'exec [flags] <container id> [command [command options]] - execute new process inside the container',
    flags: {
      process: { kind: 'string', help: 'path to the process.json', aliases: ['p'] },
      detach: bool("detach from the container's process", ['d']),
      'pid-file': str('filename that the container pid will be written to'),
      cwd: str('current working directory'),
      env: { kind: 'strings', help: "set environment variables (e.g. 'a=b'); may be given many times", aliases: ['e'] },
      user: { kind: 'string', help: 'UID (format: <uid>[:<gid>])', aliases: ['u'] },
      tty: bool('allocate a pseudo-TTY', ['t']),
      'console-socket': str("path to an AF_UNIX socket which will receive the console's pseudoterminal master"),
      cap: { kind: 'strings', help: 'add a capability to the bounding set (accepted)' },
      'no-new-privs': bool('set the no new privileges value for the process'),
      'preserve-fds': str('accepted for runc compatibility', '0'),
      'additional-gids': { kind: 'strings', help: 'additional gids', aliases: ['g'] },
      'internal-started-fd': str("(internal) fd on which a detached exec's helper reports the start"),
      'ignore-paused': bool('accepted for runc compatibility'),
    },
    async run(ctx) {
      const r = root(ctx);
      const id = oneId(ctx, 'exec');
      let proc;
      if (typeof ctx.values.process === 'string') proc = readProcessFile(ctx.values.process);
      else {
        if (ctx.args.length < 2) throw new UsageError('exec: a command is required (or --process)');
        const [uid, gid] = String(ctx.values.user ?? '0:0').split(':');
        if (!/^\d+$/.test(uid) || (gid !== undefined && !/^\d+$/.test(gid)))
          throw new UserError(`invalid user ${String(ctx.values.user)}: only numeric <uid>[:<gid>]`);
        proc = {
          args: ctx.args.slice(1),
          env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
          cwd: '/',
          uid: Number(uid),
          gid: Number(gid ?? 0),
          terminal: ctx.values.tty === true,
        };
        try {
          const spec = loadSpec(loadState(r, id).bundle);
          proc.env = spec.process?.env ?? proc.env;
          proc.cwd = spec.process?.cwd ?? '/';
        } catch {
          // No bundle to take defaults from.
        }
      }
      if (typeof ctx.values.cwd === 'string') proc.cwd = ctx.values.cwd;
      proc.env = [...proc.env, ...flagList(ctx.values.env)];
      if (ctx.values.tty === true) proc.terminal = true;
      const startedFd = ctx.values['internal-started-fd'] !== undefined ? Number(ctx.values['internal-started-fd']) : undefined;
      // The helper of a detached exec: this command line without -d and --pid-file, reporting on fd 3.
      const helperArgs = [
        ...ctx.argv.filter((a, i, all) => !/^--?(d|detach)(=true)?$/.test(a) && !/^--?pid-file(=|$)/.test(a) && !/^--?pid-file$/.test(all[i - 1] ?? '')),
      ];
      const at = helperArgs.indexOf('exec');
      helperArgs.splice(at + 1, 0, '--internal-started-fd=3');
      return exec({
        root: r,
        id,
        process: proc,
        detach: ctx.values.detach === true,
        pidFile: ctx.values['pid-file'] as string | undefined,
        consoleSocket: ctx.values['console-socket'] as string | undefined,
        startedFd,
        helperArgs,
      });
    },
  },
  wait: {
    synopsis: 'wait on a process inside a container',
    usage: 'wait [flags] <container id> - wait for the container to exit',
    flags: { pid: str("accepted: waits for the container's init"), rootpid: str("accepted: waits for the container's init") },
    async run(ctx) {
      const r = root(ctx);
      const id = oneId(ctx, 'wait');
      const state = loadState(r, id);
      let exit = state.exitStatus ?? 0;
      if (state.status !== 'stopped') {
        try {
          exit = (await control(r, id, { op: 'wait' })).exit ?? 0;
        } catch (e) {
          // The container may stop between reading its state and asking the sandbox, which then
          // no longer answers: the status it saved on the way out is the answer.
          const after = loadState(r, id);
          if (after.status !== 'stopped' || after.exitStatus === undefined) throw e;
          exit = after.exitStatus;
        }
      }
      ctx.out(JSON.stringify({ id, exitStatus: exit }) + '\n');
      return 0;
    },
  },
  events: {
    synopsis: 'display container events such as OOM notifications, cpu, memory, IO and network stats',
    usage: 'events [flags] <container id> - display container events and stats',
    flags: { stats: bool("display the container's stats then exit"), interval: str('set the stats collection interval, in seconds', '5') },
    async run(ctx) {
      const r = root(ctx);
      const id = oneId(ctx, 'events');
      for (;;) {
        const state = loadState(r, id);
        running(state);
        const { stats } = await control(r, id, { op: 'stats' });
        ctx.out(JSON.stringify({ type: 'stats', id, data: { pids: { current: stats?.pids }, memory: { usage: { usage: stats?.sentryRss } } } }) + '\n');
        if (ctx.values.stats === true) return 0;
        await new Promise((res) => setTimeout(res, Number(ctx.values.interval) * 1000));
      }
    },
  },
  pause: {
    synopsis: 'pause suspends all processes in a container',
    usage: 'pause <container id> - pause all processes in the container',
    flags: {},
    async run(ctx) {
      const r = root(ctx);
      const id = oneId(ctx, 'pause');
      const state = loadState(r, id);
      if (state.status !== 'running') throw new UserError(`container not running: ${state.status}`);
      await control(r, id, { op: 'pause' });
      return 0;
    },
  },
  resume: {
    synopsis: 'resume a paused container',
    usage: 'resume <container id> - resume all processes in the container',
    flags: {},
    async run(ctx) {
      const r = root(ctx);
      const id = oneId(ctx, 'resume');
      const state = loadState(r, id);
      if (state.status !== 'paused') throw new UserError(`container not paused: ${state.status}`);
      await control(r, id, { op: 'resume' });
      return 0;
    },
  },
  spec: {
    synopsis: 'create a base OCI specification file',
    usage: 'spec [flags] - create a base OCI specification file (config.json) in the bundle',
    flags: { bundle: { kind: 'string', help: 'path to the root of the bundle directory', aliases: ['b'] } },
    async run(ctx) {
      const path = join(String(ctx.values.bundle ?? '.'), 'config.json');
      if (existsSync(path)) throw new UserError(`File ${path} exists. Remove it first.`);
      writeFileSync(path, JSON.stringify(DEFAULT_SPEC(), null, 2) + '\n');
      return 0;
    },
  },
  features: {
    synopsis: 'show the enabled features',
    usage: 'features - show what this runtime supports, as JSON',
    flags: {},
    async run(ctx) {
      ctx.out(
        JSON.stringify(
          {
            ociVersionMin: '1.0.0',
            ociVersionMax: '1.1.0',
            hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
            mountOptions: ['bind', 'rbind', 'ro', 'rw', 'mode', 'size'],
            linux: { namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts'], capabilities: [], cgroup: { v1: false, v2: false } },
            annotations: { 'org.tvisor.runtime': 'tvisor' },
          },
          null,
          2,
        ) + '\n',
      );
      return 0;
    },
  },
  checkpoint: {
    synopsis: 'checkpoint current state of container (not supported)',
    usage: 'checkpoint [flags] <container id> - not supported by tVisor',
    flags: { 'image-path': str('accepted'), 'leave-running': bool('accepted'), 'work-path': str('accepted') },
    async run() {
      throw new UserError('checkpoint is not supported by tVisor');
    },
  },
  restore: {
    synopsis: 'restore a saved state of container (not supported)',
    usage: 'restore [flags] <container id> - not supported by tVisor',
    flags: { 'image-path': str('accepted'), bundle: { kind: 'string', help: 'accepted', aliases: ['b'] }, detach: bool('accepted', ['d']) },
    async run() {
      throw new UserError('restore is not supported by tVisor');
    },
  },
};

/** Stops a container's sandbox (SIGKILL), runs poststop hooks and removes its state. */
async function destroy(r: string, state: ContainerState): Promise<void> {
  if (state.status !== 'stopped' && sandboxAlive(state)) {
    try {
      process.kill(state.pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
    await awaitDeath(state, 5000);
  }
  let spec: Spec | undefined;
  try {
    spec = loadSpec(state.bundle);
  } catch {
    // A bundle removed already: no hooks to run.
  }
  removeContainerDir(r, state.id);
  try {
    runHooks(spec, 'poststop', { ...state, status: 'stopped' });
  } catch (e) {
    // runc logs a failed poststop hook and goes on.
    void e;
  }
}

export { removeContainerDir };
