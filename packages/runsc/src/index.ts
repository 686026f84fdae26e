export { main, VERSION, type Io } from './cli.js';
export { runDo, type DoOptions } from './do.js';
export { buildRootFilesystem, type RootfsOptions } from './rootfs.js';
