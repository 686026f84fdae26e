/**
 * The subcommands that run a kernel (`do`, `boot`, `help syscalls|platforms`):
 * what cli.ts reaches through its `loadKernel`, kept out of the light bundle.
 */
export { syscallsHelp } from './help-syscalls.js';
export { platformName, platformsHelp } from './platforms.js';
export { runBoot } from './oci/boot.js';
export { runDo } from './do.js';
