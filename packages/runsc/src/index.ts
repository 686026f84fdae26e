export { main } from './main.js';
export type { Io } from './cli.js';
export { VERSION } from './version.js';
export { runDo, type DoOptions } from './do.js';
export { buildRootFilesystem, type RootfsOptions } from './rootfs.js';
