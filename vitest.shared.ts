import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

/**
 * The one vitest setup every package shares. Workspace packages resolve to
 * their TypeScript sources (the `@tvisor/source` export condition), so unit
 * tests never need a build. vitest.setup.ts gives every fast-check property
 * a fixed default seed (FC_SEED overrides it).
 */
export function config(extra: ViteUserConfig['test'] = {}) {
  const conditions = ['@tvisor/source', 'node', 'import', 'module', 'default'];
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: conditions } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 60_000,
      hookTimeout: 60_000,
      pool: 'forks',
      ...extra,
      setupFiles: [fileURLToPath(new URL('./vitest.setup.ts', import.meta.url)), ...[extra.setupFiles ?? []].flat()],
    },
  });
}
