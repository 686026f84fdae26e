export { OVERLAYFS_MAGIC, OverlayFilesystem, type OverlayOptions } from './filesystem.js';
export { OverlayInode } from './inode.js';
export { OverlayDirectoryFile, OverlayFile } from './file.js';
export { isOpaque, isWhiteout, Layer, OPAQUE_XATTR } from './layers.js';
