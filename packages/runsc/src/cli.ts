import { flagHelp, parseFlags, UsageError, type FlagSpec, type FlagValues } from './flags.js';
import { syscallsHelp } from './help-syscalls.js';
import { runDo } from './do.js';

import { VERSION } from './version.js';

/** Flags that apply to every subcommand, as gVisor's runsc spells them. */
const GLOBAL_FLAGS: Record<string, FlagSpec> = {
  root: { kind: 'string', help: 'root directory for storage of container state.', default: '/var/run/runsc' },
  debug: { kind: 'bool', help: 'enable debug logging.' },
  'debug-log': { kind: 'string', help: 'additional location for logs.' },
  log: { kind: 'string', help: 'file path where internal debug information is written.' },
  'log-format': { kind: 'string', help: 'log format: text or json.', default: 'text' },
  strace: { kind: 'bool', help: 'enable strace: print each syscall with its decoded arguments and result to stderr.' },
  platform: { kind: 'string', help: 'specifies which platform to use: ptrace.', default: 'ptrace' },
  network: { kind: 'string', help: 'specifies which network to use: none, sandbox. ', default: 'sandbox' },
  version: { kind: 'bool', help: 'show version and exit.' },
};

const DO_FLAGS: Record<string, FlagSpec> = {
  root: { kind: 'string', help: 'path to the root directory seen by the command.', default: '/' },
  cwd: { kind: 'string', help: 'path to the current directory, defaults to the current directory.' },
  quiet: { kind: 'bool', help: 'suppress runsc messages to stdout.' },
  'force-overlay': { kind: 'bool', help: 'use an overlay over the root: writes stay in memory.', default: true },
};

const USAGE = `Usage: runsc <flags> <subcommand> <subcommand args>

Subcommands:
  do       Simplistic way to execute a command inside the sandbox. It's to be used for testing only.
  help     Describe subcommands and their syntax; 'help syscalls' lists every system call and how well it is supported.

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

/**
 * The runsc command: returns the process exit status. Usage errors print one
 * line and return 2, as Go's flag package does; a sandboxed command's status
 * is passed through (128+N when signal N killed it).
 */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  try {
    const global: FlagValues = {};
    const { rest } = parseFlags(argv, GLOBAL_FLAGS, global);
    if (global.version) {
      io.stdout(`runsc version tvisor-${VERSION}\nspec: 1.1.0\n`);
      return 0;
    }
    const [sub, ...args] = rest;
    switch (sub) {
      case undefined:
        io.stderr(USAGE);
        return 2;
      case 'help':
        if (args[0] === 'syscalls') {
          io.stdout(syscallsHelp());
          return 0;
        }
        if (args.length === 0) {
          io.stdout(USAGE);
          return 0;
        }
        throw new UsageError(`unknown help topic: ${args[0]}`);
      case 'do': {
        // Global flags are also accepted after `do`, so `runsc do --strace ls` works.
        const { values, rest: cmd } = parseFlags(args, { ...GLOBAL_FLAGS, ...DO_FLAGS }, { ...global, root: '/' });
        if (cmd.length === 0) throw new UsageError('do: missing command');
        if (values.platform !== 'ptrace') throw new UsageError(`invalid platform "${String(values.platform)}": only ptrace is available`);
        return await runDo({
          argv: cmd,
          root: String(values.root),
          cwd: typeof values.cwd === 'string' ? values.cwd : process.cwd(),
          env: Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ''}`),
          strace: values.strace === true ? (line) => io.stderr(line + '\n') : undefined,
          overlay: values['force-overlay'] !== false,
          stderr: io.stderr,
          debug: values.debug === true,
        });
      }
      default:
        throw new UsageError(`unknown subcommand "${sub}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`runsc: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
