import { config } from '../../tsup.shared.js';

// Two entries: the seam itself and, as `@tvisor/platform/testing`, the fake platform for in-process tests.
export default config({ entry: ['src/index.ts', 'src/testing/index.ts'] });
