import { flagHelp, HelpRequested, parseFlags, UsageError, type FlagSpec, type FlagValues } from './flags.js';
import { COMMANDS, type Command } from './oci/commands.js';
import { UserError } from './oci/errors.js';
import { configureLog, log } from './oci/log.js';
// The kernel is reached only through `kernel` (kernel-commands.ts), which
// the light bundle (light.ts) does not contain: state, create, start, kill,
// delete... load no kernel code at all.
import type * as KernelCommands from './kernel-commands.js';

import { parseNetworkMode } from './network.js';
import { VERSION } from './version.js';

/** gVisor's default address for `runsc do`'s sandbox (see sandbox-network.ts). */
const DEFAULT_SANDBOX_IP = '192.168.10.2/24';

/** Flags that apply to every subcommand, as gVisor's runsc spells them. */
const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  root: { kind: 'string', help: 'root directory for storage of container state.', default: '/var/run/runsc' },
  debug: { kind: 'bool', help: 'enable debug logging.' },
  'debug-log': { kind: 'string', help: 'additional location for logs.' },
  log: { kind: 'string', help: 'file path where internal debug information is written.' },
  'log-format': { kind: 'string', help: 'log format: text or json.', default: 'text' },
  strace: { kind: 'bool', help: 'enable strace: print each syscall with its decoded arguments and result to stderr.' },
  platform: {
    kind: 'string',
    help: "specifies which platform to use: ptrace (the default) or systrap; $TVISOR_PLATFORM when not given ('runsc help platforms').",
  },
  network: { kind: 'string', help: 'specifies which network to use: sandbox (default), host, none.', default: 'sandbox' },
  version: { kind: 'bool', help: 'show version and exit.' },
  'debug-log-format': { kind: 'string', help: 'log format for --debug-log: text or json.', default: 'text' },
  'systemd-cgroup': { kind: 'bool', help: 'accepted for runc compatibility: the sandbox does not use host cgroups.' },
  rootless: { kind: 'string', help: 'accepted for runc compatibility (true, false or auto).', default: 'auto' },
  criu: { kind: 'string', help: 'accepted for runc compatibility: checkpoint is not supported.' },
  'cgroup-manager': { kind: 'string', help: 'accepted for compatibility.' },
  overlay2: {
    kind: 'string',
    help: "overlay for the root: root:memory (the default) keeps writes in sandbox memory, all:memory does so for bind mounts too, none writes to the bundle's rootfs; root:self and all:self keep them in memory too.",
    default: 'root:memory',
  },
  'host-uds': { kind: 'string', help: 'accepted for gVisor compatibility.' },
  'ignore-cgroups': { kind: 'bool', help: 'accepted for gVisor compatibility.' },
  'file-access': { kind: 'string', help: 'accepted for gVisor compatibility.' },
  alsologtostderr: { kind: 'bool', help: 'send log messages to stderr too.' },
};

const DO_FLAGS: Record<string, FlagSpec> = {
  root: { kind: 'string', help: 'path to the root directory seen by the command.', default: '/' },
  cwd: { kind: 'string', help: 'path to the current directory, defaults to the current directory.' },
  quiet: { kind: 'bool', help: 'suppress runsc messages to stdout.' },
  'force-overlay': { kind: 'bool', help: 'use an overlay over the root: writes stay in memory.', default: true },
  ip: {
    kind: 'string',
    help: "with -network=sandbox, the sandbox's IPv4 address/prefix on its veth (the host end takes the first host address).",
    default: DEFAULT_SANDBOX_IP,
  },
};

const DO_USAGE = 'do [flags] <cmd> - runs a command inside the sandbox, with the host root behind a copy-on-write overlay.';

/** The internal subcommand create starts: the sandbox process. */
const BOOT_FLAGS: Record<string, FlagSpec> = {
  bundle: { kind: 'string', help: 'path to the bundle.' },
};

function commandUsage(name: string, usage: string, flags: Record<string, FlagSpec>): string {
  return `Usage: runsc ${usage}\n\n${Object.keys(flags).length ? 'Flags:\n' + flagHelp(flags) + '\n' : ''}`;
}

/** The top-level usage text (built when asked for: it is not cheap, and most runs never print it). */
const usage = () => `Usage: runsc <flags> <subcommand> <subcommand args>

Subcommands:
  do       Simplistic way to execute a command inside the sandbox. It's to be used for testing only.
  help     Describe subcommands and their syntax; 'help syscalls' lists every system call and how well it is supported; 'help platforms' the platforms and which is in use.
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(11)}${c.synopsis}`)
  .join('\n')}

Global flags:
${flagHelp(GLOBAL_FLAGS)}
`;

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const processIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

/** What a light runsc (no kernel in its bundle) returns for a command that needs the full one. */
export const NEEDS_KERNEL = -1;

class NeedsKernel extends Error {}

/**
 * The runsc command: returns the process exit status. Usage errors print one
 * line and return 2, as Go's flag package does; a sandboxed command's status
 * is passed through (128+N when signal N killed it).
 */
export async function runCli(argv: readonly string[], io: Io = processIo, loadKernel?: () => Promise<typeof KernelCommands>): Promise<number> {
  const kernel = () => {
    if (!loadKernel) throw new NeedsKernel();
    return loadKernel();
  };
  const global: FlagValues = {};
  let sub: string | undefined;
  try {
    let rest: string[];
    try {
      rest = parseFlags(argv, GLOBAL_FLAGS, global).rest;
    } catch (e) {
      if (e instanceof HelpRequested) {
        io.stdout(usage());
        return 0;
      }
      throw e;
    }
    if (global['log-format'] !== 'text' && global['log-format'] !== 'json')
      throw new UsageError(`invalid log format "${String(global['log-format'])}": text or json`);
    parseNetworkMode(global.network);
    if (global.version) {
      io.stdout(`runsc version tvisor-${VERSION}\nspec: 1.1.0\n`);
      return 0;
    }
    const args = rest.slice(1);
    sub = rest[0];
    configureLog({
      log: global.log as string | undefined,
      format: String(global['log-format']),
      debugLog: global['debug-log'] as string | undefined,
      debug: global.debug === true,
      command: sub ?? 'none',
    });
    log('debug', `args: ${JSON.stringify(argv)} (${performance.now().toFixed(0)} ms after start)`);
    const command: Command | undefined = sub !== undefined ? COMMANDS[sub] : undefined;
    if (command) {
      let values: FlagValues;
      let cmdArgs: string[];
      try {
        ({ values, rest: cmdArgs } = parseFlags(args, { ...command.flags }, {}));
      } catch (e) {
        if (e instanceof HelpRequested) {
          io.stdout(commandUsage(sub!, command.usage, command.flags));
          return 0;
        }
        throw e;
      }
      return await command.run({ global, values, args: cmdArgs, out: io.stdout, argv });
    }
    switch (sub) {
      case undefined:
        io.stderr(usage());
        return 2;
      case 'help':
        if (args[0] === 'syscalls') {
          io.stdout((await kernel()).syscallsHelp());
          return 0;
        }
        if (args[0] === 'platforms') {
          const { platformsHelp } = await kernel();
          io.stdout(platformsHelp(global.platform));
          return 0;
        }
        if (args.length === 0) {
          io.stdout(usage());
          return 0;
        }
        if (args[0] === 'do') {
          io.stdout(commandUsage('do', DO_USAGE, DO_FLAGS));
          return 0;
        }
        if (args[0] === 'help') {
          io.stdout('Usage: runsc help [<subcommand>] - describe subcommands and their syntax\n');
          return 0;
        }
        if (COMMANDS[args[0]]) {
          io.stdout(commandUsage(args[0], COMMANDS[args[0]].usage, COMMANDS[args[0]].flags));
          return 0;
        }
        throw new UsageError(`unknown help topic: ${args[0]}`);
      case 'boot': {
        const { values, rest: ids } = parseFlags(args, BOOT_FLAGS, {});
        const { runBoot, platformName } = await kernel();
        return await runBoot({
          root: String(global.root),
          id: ids[0],
          bundle: String(values.bundle),
          readyFd: 3,
          strace: global.strace === true,
          platform: platformName(global.platform),
          overlay2: String(global.overlay2),
        });
      }
      case 'do': {
        let values: FlagValues;
        let cmd: string[];
        try {
          // Global flags are also accepted after `do`, so `runsc do --strace ls` works.
          ({ values, rest: cmd } = parseFlags(args, { ...GLOBAL_FLAGS, ...DO_FLAGS }, { ...global, root: '/' }));
        } catch (e) {
          if (e instanceof HelpRequested) {
            io.stdout(commandUsage('do', DO_USAGE, DO_FLAGS));
            return 0;
          }
          throw e;
        }
        parseNetworkMode(values.network);
        if (cmd.length === 0) throw new UsageError('do: missing command');
        const { platformName, runDo } = await kernel();
        const platform = platformName(values.platform);
        return await runDo({
          argv: cmd,
          platform,
          root: String(values.root),
          cwd: typeof values.cwd === 'string' ? values.cwd : process.cwd(),
          cwdGiven: typeof values.cwd === 'string',
          env: Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ''}`),
          strace: values.strace === true ? (line) => io.stderr(line + '\n') : undefined,
          overlay: values['force-overlay'] !== false,
          stderr: io.stderr,
          debug: values.debug === true,
          quiet: values.quiet === true,
          // The veth is made only when asked for (-network=sandbox or -ip): without it do needs no root and concurrent sandboxes share no subnet.
          hostNetwork: values.network === 'host',
          sandboxIp: values.network === 'sandbox' && args.some((a) => /^--?(network|ip)(=|$)/.test(a)) ? String(values.ip) : undefined,
        });
      }
      default:
        throw new UsageError(`unknown subcommand "${sub}"`);
    }
  } catch (e) {
    if (e instanceof NeedsKernel) return NEEDS_KERNEL;
    if (e instanceof UsageError) {
      log('error', e.message);
      io.stderr(`runsc: ${e.message}\n`);
      return 2;
    }
    if (e instanceof UserError) {
      log('error', e.message);
      io.stderr(`runsc: ${e.message}\n`);
      return e.exitCode;
    }
    // A sentry or runsc bug: one line, the stack only with --debug.
    const text = e instanceof Error ? (global.debug === true ? (e.stack ?? e.message) : e.message) : String(e);
    log('error', text.split('\n')[0]);
    io.stderr(`runsc: ${global.debug === true ? text : text.split('\n')[0]}\n`);
    return 1;
  }
}
