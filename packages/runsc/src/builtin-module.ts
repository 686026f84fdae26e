import { createRequire } from 'node:module';

/**
 * A Node built-in module, loaded when first asked for: the short OCI
 * commands (state, start, delete) then do not pay for node:net or
 * node:child_process unless they use them. process.getBuiltinModule exists
 * from Node 20.16; require does the same before it.
 */
export const builtinModule: typeof process.getBuiltinModule =
  typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule.bind(process) : (createRequire(import.meta.url) as never);
