// The entry the bin script runs (dist/index.cjs): only the CLI, so the
// kernel's modules are evaluated by the commands that need one, not by
// `runsc state` and the other light commands.
export { main, VERSION } from './cli.js';
