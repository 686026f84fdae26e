export { anonymousDev, TMPFS_MAGIC, TmpfsFilesystem, type TmpfsOptions } from './filesystem.js';
export { TmpfsInode } from './inode.js';
export { TmpfsDirectory, TmpfsDirectoryFile } from './directory.js';
export { TmpfsRegular, TmpfsRegularFile } from './regular.js';
export { TmpfsSymlink } from './symlink.js';
export { TmpfsSpecial } from './special.js';
