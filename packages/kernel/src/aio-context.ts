import { MADV, MAP, PROT } from '@tvisor/abi';
import { PAGE_SIZE, SharedMemory, type MappableFile, type MemoryFile, type MemoryFileRange, type MemoryManager } from '@tvisor/mm';

/** struct io_event: what io_getevents(2) returns for one finished request. */
export interface AioEvent {
  /** The request's aio_data, given back as it was. */
  data: bigint;
  /** The user address of the request's struct iocb. */
  obj: bigint;
  /** The result: bytes transferred or -errno. */
  res: bigint;
}

/** sizeof(struct aio_ring): the ring header that precedes its io_event array. */
const AIO_RING_HEADER = 32;
/** sizeof(struct io_event). */
export const IO_EVENT_SIZE = 32;

/**
 * One io_setup(2) context. Its identity is the address of its ring mapping
 * in the owner's address space (aio_context_t), so it follows the mapping
 * when mremap moves it and is unreachable once the mapping goes or loses
 * PROT_READ, as on Linux.
 *
 * Requests complete when submitted (the sentry serves each read or write at
 * once), so the context only queues finished events for io_getevents. Like
 * gVisor, and unlike Linux, the events stay in the kernel: the ring page
 * reads as zeros, so libaio sees no ring magic and always asks the kernel.
 */
export class AioContext {
  /** How many requests may be in the queue at once (Linux's ring size in events, less one). */
  readonly capacity: number;
  private readonly events: AioEvent[] = [];
  private readonly waiters = new Set<() => void>();
  private live = true;

  constructor(
    readonly ring: AioRingMappable,
    readonly ringLength: number,
  ) {
    this.capacity = (ringLength - AIO_RING_HEADER) / IO_EVENT_SIZE - 1;
  }

  get alive(): boolean {
    return this.live;
  }

  /** Finished requests not yet collected. */
  get pending(): number {
    return this.events.length;
  }

  /** Queues a finished request and wakes io_getevents waiters. */
  complete(event: AioEvent): void {
    this.events.push(event);
    for (const wake of [...this.waiters]) wake();
  }

  /** Takes up to `max` finished requests, oldest first. */
  take(max: number): AioEvent[] {
    return this.events.splice(0, max);
  }

  /** Calls `wake` whenever a request finishes or the context is destroyed; returns the unsubscribe. */
  subscribe(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }

  /** io_destroy: drops queued events and wakes every waiter (they then see the context gone). */
  destroy(): void {
    this.live = false;
    this.events.length = 0;
    for (const wake of [...this.waiters]) wake();
    this.waiters.clear();
  }
}

/**
 * The memory behind an AIO ring mapping ("/[aio] (deleted)" in
 * /proc/PID/maps): shared pages that free themselves with their last
 * mapping, which mremap may move but not grow (VM_DONTEXPAND).
 */
export class AioRingMappable implements MappableFile {
  readonly mapsName = '/[aio] (deleted)';
  readonly dontExpand = true;
  readonly dev: number;
  readonly ino: number;
  context: AioContext | undefined;

  constructor(private readonly pages: SharedMemory) {
    this.dev = pages.dev;
    this.ino = pages.ino;
  }

  size(): number {
    return this.pages.size();
  }
  readAt(offset: number, dst: Uint8Array): number {
    return this.pages.readAt(offset, dst);
  }
  sharedPages(offset: number, length: number): MemoryFileRange[] {
    return this.pages.sharedPages(offset, length);
  }
  mapped(): void {
    this.pages.mapped();
  }
  unmapped(): void {
    this.pages.unmapped();
  }
}

/** Linux's aio_setup_ring sizing: room for max(nr, 4 per CPU) * 2 events, rounded up to whole pages. */
export function aioRingLength(nrEvents: number, cpus: number): number {
  const events = Math.max(nrEvents, cpus * 4) * 2;
  return Math.ceil((AIO_RING_HEADER + events * IO_EVENT_SIZE) / PAGE_SIZE) * PAGE_SIZE;
}

/**
 * io_setup's mapping: a new context whose ring is mapped shared,
 * read-write, and not inherited by fork (Linux marks it VM_DONTCOPY).
 * Returns the context's id, the ring's address.
 */
export function createAioContext(mm: MemoryManager, memory: MemoryFile, nrEvents: number, cpus: number): number {
  const length = aioRingLength(nrEvents, cpus);
  const ring = new AioRingMappable(new SharedMemory(memory, length));
  const addr = mm.mmap({ addr: 0, length, prot: PROT.READ | PROT.WRITE, flags: MAP.SHARED, file: ring, offset: 0 });
  mm.madvise(addr, length, MADV.DONTFORK);
  ring.context = new AioContext(ring, length);
  return addr;
}

/**
 * The live context whose ring starts at `id` in `mm`, or undefined: the
 * address must start the ring's mapping (after any mremap) and be readable,
 * as Linux's lookup_ioctx reads the ring header there.
 */
export function lookupAioContext(mm: MemoryManager, id: number): AioContext | undefined {
  const vma = mm.vmaAt(id);
  if (vma === undefined || !(vma.file instanceof AioRingMappable) || vma.start !== id || vma.fileOffset !== 0) return undefined;
  if ((vma.prot & PROT.READ) === 0) return undefined;
  const context = vma.file.context;
  return context?.alive ? context : undefined;
}
