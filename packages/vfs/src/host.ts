/**
 * @tvisor/vfs/host: the host-backed filesystem (Node only; calls the host
 * kernel through koffi). Kept out of the core entry so that `@tvisor/vfs`
 * runs anywhere.
 */
export { HostFilesystem, type HostFilesystemOptions } from './fs/host/host-filesystem.js';
export { HostInode } from './fs/host/host-inode.js';
