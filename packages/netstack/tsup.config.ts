import { config } from '../../tsup.shared.js';

export default config({ entry: ['src/index.ts', 'src/tap.ts', 'src/net.ts'] });
