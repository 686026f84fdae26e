import { config } from '../../tsup.shared.js';

export default config();
