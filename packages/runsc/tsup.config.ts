import { config } from '../../tsup.shared.js';

// The CLI is bundled with the workspace packages it uses: one file to load
// instead of a module graph to resolve, which is most of start-up time.
export default config({ noExternal: [/^@tvisor\//] });
