// The full CLI (dist/index.cjs): every subcommand, the kernel loaded (evaluated)
// only by those that run one. bin/runsc.js runs it for `do`, `boot` and `help`
// and when the light CLI (light.ts) finds it needs the kernel.
import { runCli, type Io } from './cli.js';

export { VERSION } from './version.js';
export type { Io } from './cli.js';

/** The runsc command with every subcommand: returns the process exit status. */
export function main(argv: readonly string[], io?: Io): Promise<number> {
  return runCli(argv, io, () => import('./kernel-commands.js'));
}
