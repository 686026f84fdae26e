import { SHMF } from '@tvisor/abi';
import { SharedMemory, type MappableFile, type MemoryFile, type MemoryFileRange } from '@tvisor/mm';
import type { Credentials } from '../task.js';
import { IpcObject, ipcNow } from './registry.js';

const PAGE = 4096;

/**
 * A System V shared memory segment (shmget(2)): memory-file pages that every
 * attach maps MAP_SHARED, so fork, exec and exit share and drop them as
 * any shared mapping. Each VMA that maps it counts in shm_nattch (Linux
 * counts in vm_ops open/close, so fork and splits count too); a segment
 * removed with IPC_RMID lives on until the last of them goes.
 */
export class ShmSegment extends IpcObject {
  cpid: number;
  lpid = 0;
  atime = 0;
  dtime = 0;
  nattch = 0;
  private memory: SharedMemory | undefined;
  /** What mm maps: the segment's pages, counting its VMAs. */
  readonly mappable: MappableFile;

  constructor(
    key: number,
    creds: Credentials,
    mode: number,
    readonly size: number,
    pid: number,
    private readonly memoryFile: MemoryFile,
    /** The pid of the process whose syscall runs now (a detach at exit sets shm_lpid). */
    private readonly currentPid: () => number,
    /** Called when the segment is gone (removed and no longer attached). */
    private readonly destroyed: (seg: ShmSegment) => void,
  ) {
    super(key, creds, mode);
    this.cpid = pid;
    this.mappable = new SegmentMapping(this);
  }

  /** The pages, made at first use (the id, which names them in /proc/PID/maps, is known by then). */
  pages(): SharedMemory {
    this.memory ??= new SharedMemory(this.memoryFile, this.size, { mapsName: this.mappable.mapsName, dev: 1, ino: this.id });
    return this.memory;
  }

  /** Pages the segment spans (shm_tot counts these). */
  get pageCount(): number {
    return Math.ceil(this.size / PAGE);
  }

  /** Pages in memory (shm_rss): an attach allocates all of them in the memory file. */
  residentPages(): number {
    return this.memory ? this.pageCount : 0;
  }

  /** Whether IPC_RMID was called while it was attached (SHM_DEST). */
  get markedForRemoval(): boolean {
    return (this.mode & SHMF.DEST) !== 0;
  }

  /** shmat succeeded. */
  attached(pid: number): void {
    this.atime = ipcNow();
    this.lpid = pid;
  }

  /** A VMA that mapped it went away (shmdt, munmap, exit): shm_dtime and shm_lpid change. */
  detached(): void {
    this.nattch--;
    this.dtime = ipcNow();
    this.lpid = this.currentPid();
    if (this.nattch === 0 && this.markedForRemoval) this.destroy();
  }

  /** IPC_RMID: gone now if unattached, else when the last attach goes. */
  remove(): void {
    this.mode |= SHMF.DEST;
    if (this.nattch === 0) this.destroy();
  }

  private destroy(): void {
    this.memory?.release();
    this.memory = undefined;
    this.destroyed(this);
  }
}

/** The segment as mm maps it: its pages, with each VMA counted in shm_nattch (Linux's shm_open/shm_close). */
class SegmentMapping implements MappableFile {
  readonly dev = 1;

  constructor(private readonly seg: ShmSegment) {}

  get mapsName(): string {
    return `/SYSV${(this.seg.key >>> 0).toString(16).padStart(8, '0')} (deleted)`;
  }

  get ino(): number {
    return this.seg.id;
  }

  size(): number {
    return this.seg.size;
  }

  readAt(offset: number, dst: Uint8Array): number {
    return this.seg.pages().readAt(offset, dst);
  }

  sharedPages(offset: number, length: number): MemoryFileRange[] {
    return this.seg.pages().sharedPages(offset, length);
  }

  mapped(): void {
    this.seg.nattch++;
  }

  unmapped(): void {
    this.seg.detached();
  }
}
