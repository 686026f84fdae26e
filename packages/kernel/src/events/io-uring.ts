import {
  decodeStruct,
  encodeStruct,
  Errno,
  type IoCqringOffsets,
  IORING_FEAT,
  IORING_OFF,
  type IoSqringOffsets,
  IoUringCqe,
  IoUringSqe,
  SysError,
} from '@tvisor/abi';
import { SharedMemory, type MappableFile, type MemoryFile } from '@tvisor/mm';
import { FileImplBase, type FileDescription } from '@tvisor/vfs';
import { anonFile, anonInode } from './anon-inode.js';

/**
 * The rings' layout in their shared mapping (gVisor's, which its tests
 * check): each index the two sides write on its own cache line, then the
 * masks and counters, then the completion entries, then the submission
 * index array on a cache-line boundary.
 */
const SQ_HEAD = 0;
const SQ_TAIL = 64;
const CQ_HEAD = 128;
const CQ_TAIL = 192;
const SQ_RING_MASK = 256;
const CQ_RING_MASK = 260;
const SQ_RING_ENTRIES = 264;
const CQ_RING_ENTRIES = 268;
const SQ_DROPPED = 272;
const SQ_FLAGS = 276;
const CQ_FLAGS = 280;
const CQ_OVERFLOW = 284;
const CQES = 320;
const CACHE_LINE = 64;

/** How one submission is served: its result for the completion entry (a count or -errno). */
export type SqeHandler = (sqe: IoUringSqe) => number;

/**
 * An io_uring instance: the shared rings and submission entries (memory-file
 * pages the application maps), and the sentry's side of the protocol. The
 * application owns the submission tail and the completion head; the sentry
 * owns the submission head and the completion tail, and keeps its own copies
 * of those so that whatever the application scribbles over the ring header
 * cannot make the sentry lose its place. Every index read from shared
 * memory is masked before use: the rings are untrusted input.
 */
export class IoUringImpl extends FileImplBase {
  readonly sqOffsets: IoSqringOffsets;
  readonly cqOffsets: IoCqringOffsets;
  private readonly rings: SharedMemory;
  private readonly sqes: SharedMemory;
  private sqHead = 0;
  private cqTail = 0;
  private readonly waiters = new Set<() => void>();

  constructor(
    memory: MemoryFile,
    readonly sqEntries: number,
    readonly cqEntries: number,
  ) {
    super(anonInode());
    const arrayOffset = Math.ceil((CQES + cqEntries * IoUringCqe.size) / CACHE_LINE) * CACHE_LINE;
    this.rings = new SharedMemory(memory, arrayOffset + sqEntries * 4, { mapsName: 'anon_inode:[io_uring]', dev: 0, ino: 0 });
    this.sqes = new SharedMemory(memory, sqEntries * IoUringSqe.size, { mapsName: 'anon_inode:[io_uring]', dev: 0, ino: 0 });
    this.sqOffsets = {
      head: SQ_HEAD,
      tail: SQ_TAIL,
      ring_mask: SQ_RING_MASK,
      ring_entries: SQ_RING_ENTRIES,
      flags: SQ_FLAGS,
      dropped: SQ_DROPPED,
      array: arrayOffset,
    };
    this.cqOffsets = {
      head: CQ_HEAD,
      tail: CQ_TAIL,
      ring_mask: CQ_RING_MASK,
      ring_entries: CQ_RING_ENTRIES,
      overflow: CQ_OVERFLOW,
      cqes: CQES,
      flags: CQ_FLAGS,
    };
    this.writeU32(SQ_RING_MASK, sqEntries - 1);
    this.writeU32(CQ_RING_MASK, cqEntries - 1);
    this.writeU32(SQ_RING_ENTRIES, sqEntries);
    this.writeU32(CQ_RING_ENTRIES, cqEntries);
  }

  /** The features io_uring_setup reports. */
  static readonly features = IORING_FEAT.SINGLE_MMAP;

  private readU32(offset: number): number {
    const b = new Uint8Array(4);
    this.rings.readAt(offset, b);
    return new DataView(b.buffer).getUint32(0, true);
  }

  private writeU32(offset: number, value: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value >>> 0, true);
    this.rings.writeAt(offset, b);
  }

  /** Completions the application has not consumed yet, as it sees them. */
  completionsReady(): number {
    return (this.cqTail - this.readU32(CQ_HEAD)) >>> 0;
  }

  /**
   * Serves up to `toSubmit` queued submissions with `handle`, posting one
   * completion each (or counting an overflow when the completion ring is
   * full). An index in the array past the ring is dropped, as on Linux.
   * Returns how many submissions were consumed.
   */
  submit(toSubmit: number, handle: SqeHandler): number {
    const queued = (this.readU32(SQ_TAIL) - this.sqHead) >>> 0;
    const count = Math.min(toSubmit, queued, this.sqEntries);
    let consumed = 0;
    for (; consumed < count; consumed++) {
      const slot = this.sqHead & (this.sqEntries - 1);
      const index = this.readU32(this.sqOffsets.array + slot * 4);
      this.sqHead = (this.sqHead + 1) >>> 0;
      this.writeU32(SQ_HEAD, this.sqHead);
      if (index >= this.sqEntries) {
        this.writeU32(SQ_DROPPED, this.readU32(SQ_DROPPED) + 1);
        continue;
      }
      const raw = new Uint8Array(IoUringSqe.size);
      this.sqes.readAt(index * IoUringSqe.size, raw);
      const sqe = decodeStruct(IoUringSqe, raw);
      this.post({ user_data: sqe.user_data, res: handle(sqe), flags: 0 });
    }
    if (consumed > 0) for (const wake of [...this.waiters]) wake();
    return consumed;
  }

  private post(cqe: IoUringCqe): void {
    if (this.completionsReady() >= this.cqEntries) {
      this.writeU32(CQ_OVERFLOW, this.readU32(CQ_OVERFLOW) + 1);
      return;
    }
    this.rings.writeAt(CQES + (this.cqTail & (this.cqEntries - 1)) * IoUringCqe.size, encodeStruct(IoUringCqe, cqe));
    this.cqTail = (this.cqTail + 1) >>> 0;
    this.writeU32(CQ_TAIL, this.cqTail);
  }

  /** Calls `wake` after each batch of completions; returns the unsubscribe. */
  onCompletions(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }

  /**
   * What mmap(2) of the io_uring fd maps at `offset`: both rings live in one
   * object (IORING_FEAT_SINGLE_MMAP), the submission entries in another.
   * EINVAL for any other offset or a length past the object.
   */
  mappingAt(offset: number, length: number): MappableFile {
    const target = offset === IORING_OFF.SQ_RING || offset === IORING_OFF.CQ_RING ? this.rings : offset === IORING_OFF.SQES ? this.sqes : undefined;
    if (target === undefined || length > Math.ceil(target.size() / 4096) * 4096) throw new SysError(Errno.EINVAL);
    return target;
  }

  override release(): void {
    this.rings.release();
    this.sqes.release();
  }
}

/** A new io_uring file (`anon_inode:[io_uring]`); the caller owns its reference. */
export function createIoUringFile(impl: IoUringImpl): FileDescription {
  return anonFile('[io_uring]', impl, 0);
}
