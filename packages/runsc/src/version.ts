// The CLI's version is the package's: tsup (esbuild) inlines package.json's
// version at build time, so a release bump (changesets) is all it takes.
import packageJson from '../package.json' with { type: 'json' };

/** This runsc's version, from packages/runsc/package.json. */
export const VERSION: string = packageJson.version;
