import { defineConfig, type Options } from 'tsup';

/** The one tsup setup every package shares: ESM plus .d.ts from src/index.ts. */
export function config(extra: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    ...extra,
  });
}
