import { config } from '../../tsup.shared.js';

export default config({ entry: ['src/index.ts', 'src/host.ts', 'src/fs.ts'], external: ['koffi'] });
