export { anonymousDev, HEAP_PAGES, TMPFS_MAGIC, TmpfsFilesystem, type TmpfsOptions, type TmpfsPageAllocator } from './filesystem.js';
export { TmpfsInode } from './inode.js';
export { TmpfsDirectory, TmpfsDirectoryFile } from './directory.js';
export { TmpfsRegular, TmpfsRegularFile } from './regular.js';
export { TmpfsSymlink } from './symlink.js';
export { TmpfsSpecial } from './special.js';
