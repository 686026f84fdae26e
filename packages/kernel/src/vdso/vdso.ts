/**
 * The [vvar] and [vdso] mappings every address space gets at exec. Both are
 * memory-file pages the sentry owns, one copy per sandbox: the vDSO image
 * (vdso-image.ts) and the vvar page through which the sentry publishes its
 * clock parameters (layout in vdso.c's struct vvar). Processes map them
 * private: the vvar page read-only and never writable (mprotect is EACCES,
 * as on Linux), so nothing an application does can reach the sentry's copy;
 * a write to the vDSO (a debugger's breakpoint) gets a private copy.
 */
import { MAP, PROT } from '@tvisor/abi';
import {
  PAGE_SIZE,
  STUB_RESERVED_START,
  SharedMemory,
  pageAlignUp,
  type MappableFile,
  type MemoryFile,
  type MemoryFileRange,
  type MemoryManager,
} from '@tvisor/mm';
import { REALTIME_OFFSET, tscClock } from '../clock.js';
import type { TscParams } from '../tsc-clock.js';
import { VDSO_IMAGE } from './vdso-image.js';

/** struct vvar in vdso.c: u32 words and u64 words. */
const VVAR_SEQ = 0;
const VVAR_ENABLED = 1;
const VVAR_MULT = 8;
const VVAR_SHIFT = 9;
const VVAR_TSC_BASE = 1;
const VVAR_MONO_BASE = 2;
const VVAR_REAL_BASE = 3;

const VDSO_SIZE = pageAlignUp(VDSO_IMAGE.length);

/**
 * A sentry-owned object mapped as a special mapping: named in
 * /proc/PID/maps, device 00:00 inode 0 as Linux shows [vdso] and [vvar],
 * and never grown by mremap (VM_DONTEXPAND).
 */
class SpecialMapping implements MappableFile {
  readonly dev = 0;
  readonly ino = 0;
  readonly dontExpand = true;

  constructor(
    readonly mapsName: string,
    private readonly memory: SharedMemory,
  ) {}

  size(): number {
    return this.memory.size();
  }

  readAt(offset: number, dst: Uint8Array): number {
    return this.memory.readAt(offset, dst);
  }

  sharedPages(offset: number, length: number): MemoryFileRange[] {
    return this.memory.sharedPages(offset, length);
  }
}

/** The sandbox's vDSO: its pages, and the vvar page kept up to date with the sentry's clock. */
export class Vdso {
  private readonly vvarMemory: SharedMemory;
  private readonly imageMemory: SharedMemory;
  private readonly vvar: SpecialMapping;
  private readonly image: SpecialMapping;
  private readonly unwatch: (() => void) | undefined;

  constructor(memoryFile: MemoryFile) {
    this.vvarMemory = new SharedMemory(memoryFile, PAGE_SIZE, { mapsName: '[vvar]', dev: 0, ino: 0 });
    this.imageMemory = new SharedMemory(memoryFile, VDSO_SIZE, { mapsName: '[vdso]', dev: 0, ino: 0 });
    this.imageMemory.writeAt(0, VDSO_IMAGE);
    this.vvar = new SpecialMapping('[vvar]', this.vvarMemory);
    this.image = new SpecialMapping('[vdso]', this.imageMemory);
    const [page] = this.vvarMemory.sharedPages(0, PAGE_SIZE);
    const bytes = memoryFile.bytes(page.fileOffset, PAGE_SIZE);
    // Typed-array element stores are single aligned stores, as the vDSO's seqcount reads need.
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, PAGE_SIZE / 4);
    const quads = new BigUint64Array(bytes.buffer, bytes.byteOffset, PAGE_SIZE / 8);
    // Without a TSC clock the page stays zero: `enabled` 0 sends every call to the sentry.
    this.unwatch = tscClock?.watch({
      begin: () => {
        words[VVAR_SEQ] = (words[VVAR_SEQ] + 1) | 1;
      },
      end: (p: TscParams) => {
        if ((words[VVAR_SEQ] & 1) === 0) words[VVAR_SEQ] += 1;
        quads[VVAR_TSC_BASE] = p.tscBase;
        quads[VVAR_MONO_BASE] = p.monoBase;
        quads[VVAR_REAL_BASE] = p.monoBase + REALTIME_OFFSET;
        words[VVAR_MULT] = Number(p.mult);
        words[VVAR_SHIFT] = Number(p.shift);
        words[VVAR_ENABLED] = 1;
        words[VVAR_SEQ] += 1;
      },
    });
  }

  /**
   * Maps [vvar] and [vdso] (just above it) into a new address space, above
   * the stack at a page chosen at random in the space left below the
   * platform's reserved range, as Linux randomises the vDSO above the stack.
   * Returns the vDSO's address, for AT_SYSINFO_EHDR.
   */
  map(mm: MemoryManager, stackTop: number): number {
    const slots = Math.floor((STUB_RESERVED_START - stackTop - PAGE_SIZE - VDSO_SIZE) / PAGE_SIZE) + 1;
    const vvarAt = stackTop + Math.floor(Math.random() * Math.max(1, slots)) * PAGE_SIZE;
    mm.mmap({ addr: vvarAt, length: PAGE_SIZE, prot: PROT.READ, flags: MAP.PRIVATE | MAP.FIXED, file: this.vvar, offset: 0, privateMaxProt: PROT.READ });
    const vdsoAt = vvarAt + PAGE_SIZE;
    mm.mmap({ addr: vdsoAt, length: VDSO_SIZE, prot: PROT.READ | PROT.EXEC, flags: MAP.PRIVATE | MAP.FIXED, file: this.image, offset: 0 });
    return vdsoAt;
  }

  /** Lets the clock bring its parameters up to date (once a second at most). */
  tick(): void {
    tscClock?.recalibrateIfDue();
  }

  /** Stops publishing to the vvar page (the sandbox is shutting down). */
  release(): void {
    this.unwatch?.();
  }
}
