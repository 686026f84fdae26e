// The light CLI (dist/light.cjs): the OCI commands (create, start, state,
// kill, delete, exec, ...) without a line of kernel code in the bundle, so
// the short calls a shim makes start quickly. A command that needs the kernel
// returns NEEDS_KERNEL and bin/runsc.js runs the full CLI (main.ts) instead.
import { runCli, type Io } from './cli.js';

export { NEEDS_KERNEL } from './cli.js';

/** runsc without the kernel: NEEDS_KERNEL for do, boot and help syscalls/platforms. */
export function main(argv: readonly string[], io?: Io): Promise<number> {
  return runCli(argv, io);
}
