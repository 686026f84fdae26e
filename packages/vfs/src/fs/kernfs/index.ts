export { KernfsFilesystem } from './filesystem.js';
export {
  DynamicDirectory,
  DynamicFile,
  DynamicSymlink,
  KernfsNode,
  StaticDirectory,
  type DynamicDirectoryOps,
  type DynamicFileOps,
  type NodeAttributes,
  type SymlinkOps,
} from './nodes.js';
export { KernfsDirectoryFile, KernfsSnapshotFile } from './files.js';
