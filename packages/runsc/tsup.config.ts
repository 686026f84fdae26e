import { defineConfig } from 'tsup';
import { config } from '../../tsup.shared.js';

// The CLI is bundled with the workspace packages it uses: one file to load
// instead of a module graph to resolve, which is most of start-up time.
const esm = config({ noExternal: [/^@tvisor\//], clean: false });

// bin/runsc.js runs CommonJS copies through V8's code cache (node:vm takes
// cached data for scripts, not for ES modules): index.cjs, the whole CLI, and
// light.cjs, the OCI commands without the kernel (two bundles, no shared
// chunk: a process runs exactly one of them).
const cjs = defineConfig({
  entry: { index: 'src/main.ts', light: 'src/light.ts' },
  format: ['cjs'],
  outExtension: () => ({ js: '.cjs' }),
  noExternal: [/^@tvisor\//],
  target: 'node20',
  sourcemap: false,
  dts: false,
  esbuildOptions(o) {
    o.charset = 'ascii';
    o.minifyWhitespace = true;
  },
  clean: false,
  define: { 'import.meta.url': '__importMetaUrl', 'import.meta.dirname': '__dirname' },
  banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});

export default [esm, cjs].flat();
