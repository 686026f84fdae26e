import { Errno, FS_MAGIC, S, SysError } from '@tvisor/abi';
import {
  FileImplBase,
  KernfsFilesystem,
  VirtualFilesystem,
  KernfsNode,
  StaticDirectory,
  type Credentials,
  type FileDescription,
  type FileDescriptionImpl,
  type Inode,
} from '@tvisor/vfs';
import { PosixQueue } from '../../ipc/posix-queue.js';
import type { Kernel } from '../../kernel.js';

/** The queue size a new queue gets without an mq_attr (/proc/sys/fs/mqueue/msg_default, msgsize_default). */
export const MQ_DEFAULT_ATTR = { maxmsg: 10, msgsize: 8192 };

/**
 * The mqueue filesystem (mq_overview(7)): one directory of message queues,
 * which mq_open and mq_unlink use and which may be mounted (the same
 * queues at every mount point). Creating a file in it makes a queue;
 * reading one gives its status line.
 */
export class MqueueFilesystem extends KernfsFilesystem {
  private readonly queues: MqueueDirectory;

  constructor() {
    super('mqueue', FS_MAGIC.MQUEUE_MAGIC, { perm: 0o1777 });
    this.queues = new MqueueDirectory(this);
  }

  override root(): Inode {
    return this.queues;
  }

  /** Sets the size of the next queue created (mq_open passes its mq_attr through the VFS's create this way). */
  nextAttr(attr: { maxmsg: number; msgsize: number }): void {
    this.queues.pendingAttr = attr;
  }
}

class MqueueDirectory extends StaticDirectory {
  pendingAttr = MQ_DEFAULT_ATTR;

  constructor(private readonly mqfs: MqueueFilesystem) {
    super(mqfs, { perm: 0o1777 });
  }

  override create(name: string, mode: number, creds: Credentials): Inode {
    if (this.entries().some(([n]) => n === name)) throw new SysError(Errno.EEXIST);
    const attr = this.pendingAttr;
    this.pendingAttr = MQ_DEFAULT_ATTR;
    return this.add(name, new MqueueInode(this.mqfs, new PosixQueue(attr.maxmsg, attr.msgsize), mode & 0o7777, creds));
  }

  override unlink(name: string): void {
    this.remove(name);
  }
}

/** A queue as a file: open descriptions of it are what mq_open returns. */
export class MqueueInode extends KernfsNode {
  constructor(
    fs: MqueueFilesystem,
    readonly queue: PosixQueue,
    perm: number,
    creds: Credentials,
  ) {
    super(fs, S.IFREG, { perm, uid: creds.uid, gid: creds.gid });
  }

  override open(): FileDescriptionImpl {
    return new MqueueFile(this);
  }
}

/** An open queue: read(2) shows the status, poll(2) the queue's readiness; mq_* syscalls find the queue here. */
export class MqueueFile extends FileImplBase {
  constructor(readonly node: MqueueInode) {
    super(node);
  }

  get queue(): PosixQueue {
    return this.node.queue;
  }

  override pread(_fd: FileDescription, dst: Uint8Array, offset: number): number {
    const text = new TextEncoder().encode(this.queue.statusText());
    if (offset >= text.length) return 0;
    const n = Math.min(dst.length, text.length - offset);
    dst.set(text.subarray(offset, offset + n));
    return n;
  }

  override readiness(_fd: FileDescription, mask: number): number {
    return this.queue.readiness() & mask;
  }

  override subscribe(_fd: FileDescription, mask: number, cb: (mask: number) => void): () => void {
    return this.queue.subscribe(mask, cb);
  }
}

const mqueues = new WeakMap<Kernel, { fs: MqueueFilesystem; vfs: VirtualFilesystem }>();

/** The IPC namespace's mqueue filesystem: what mq_open uses, and what mount -t mqueue shows. */
export function mqueueFilesystem(kernel: Kernel): { fs: MqueueFilesystem; vfs: VirtualFilesystem } {
  let m = mqueues.get(kernel);
  if (!m) {
    const fs = new MqueueFilesystem();
    mqueues.set(kernel, (m = { fs, vfs: new VirtualFilesystem(fs) }));
  }
  return m;
}
