import { O } from '@tvisor/abi';
import { TmpfsFilesystem, VirtualFilesystem, type FileDescription, type TmpfsPageAllocator } from '@tvisor/vfs';
import { vfsCredentials } from './fs-context.js';
import type { Task } from './task.js';

/**
 * Where memfd_create's files live: a tmpfs of the kernel's own, never
 * mounted in the sandbox's tree, holding unnamed (O_TMPFILE) regular files
 * that /proc shows as /memfd:NAME.
 */
export class MemfdFilesystem {
  private readonly vfs: VirtualFilesystem;

  /** `pages`: where file data lives (the memory file, so memfds can be mapped shared). */
  constructor(pages?: TmpfsPageAllocator) {
    this.vfs = new VirtualFilesystem(new TmpfsFilesystem({ mode: 0o1777, pages }));
  }

  /** A new anonymous read-write file named `name`. */
  create(name: string, t: Task): FileDescription {
    const ctx = this.vfs.context(vfsCredentials(t.creds));
    const file = this.vfs.openAt(ctx, '/', { flags: O.TMPFILE | O.RDWR, mode: 0o777 });
    file.dentry.name = `memfd:${name}`;
    return file;
  }
}
