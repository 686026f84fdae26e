import { PROT } from '@tvisor/abi';
import { PAGE_SIZE } from './layout.js';
import type { MmState } from './mm-state.js';
import type { Pma } from './pma.js';
import { formatMapsLine, formatSmapsEntry, type SmapsCounts } from './proc-format.js';
import type { Vma, VmaInfo } from './vma.js';

/** Memory statistics in bytes, for /proc/PID/status and statm. */
export interface MemoryStats {
  /** VmSize: total mapped. */
  vmSize: number;
  /** VmPeak: the largest VmSize so far (sampled whenever the address space grows). */
  vmPeak: number;
  /** VmRSS: pages that hold memory. */
  rss: number;
  /** RssAnon: resident private anonymous or COW-copied pages. */
  rssAnon: number;
  /** RssFile + RssShmem: resident pages of file-backed or shared mappings. */
  rssShared: number;
  /** VmData: private writable non-stack mappings. */
  data: number;
  /** VmStk: MAP_GROWSDOWN mappings. */
  stack: number;
  /** VmExe-like: executable non-writable file mappings. */
  text: number;
  /** VmLck: mlocked mappings. */
  locked: number;
}

/**
 * Read-only views of one process's memory: snapshots of the VMAs and
 * backing, and the text of /proc/PID/maps, smaps and statm with the
 * statistics behind /proc/PID/status.
 */
export class MemoryReport {
  private readonly vmas: MmState['vmas'];
  private readonly pmas: MmState['pmas'];
  private readonly memoryFile: MmState['memoryFile'];

  constructor(private readonly state: MmState) {
    this.vmas = state.vmas;
    this.pmas = state.pmas;
    this.memoryFile = state.memoryFile;
  }

  /** A snapshot of the VMAs, in address order. */
  vmaList(): VmaInfo[] {
    return this.vmas.items.map((v) => ({ ...v }));
  }

  /** The VMA containing `addr`, if any (a snapshot). */
  vmaAt(addr: number): VmaInfo | undefined {
    const v = this.vmas.find(addr);
    return v === undefined ? undefined : { ...v };
  }

  /** The memory-file backing, in address order (for tests and the platform's debugging). */
  backingList(): Readonly<Pma>[] {
    return this.pmas.items.map((p) => ({ ...p }));
  }

  /** The text of /proc/PID/maps. */
  mapsText(): string {
    let out = '';
    for (const v of this.vmas.items) out += formatMapsLine(v, this.nameOf(v));
    return out;
  }

  /** The text of /proc/PID/smaps. */
  smapsText(): string {
    let out = '';
    for (const v of this.vmas.items) out += formatSmapsEntry(v, this.nameOf(v), this.countPages(v));
    return out;
  }

  /** The text of /proc/PID/statm (pages: size resident shared text lib data dt). */
  statmText(): string {
    const s = this.stats();
    const p = (n: number) => Math.floor(n / PAGE_SIZE);
    return `${p(s.vmSize)} ${p(s.rss)} ${p(s.rssShared)} ${p(s.text)} 0 ${p(s.data + s.stack)} 0\n`;
  }

  /**
   * The resident bytes alone (stats().rss), for exit and getrusage: the
   * backing of consecutive pieces that lie end to end in the memory file is
   * asked for in one range, since each range costs two host lseeks.
   */
  residentBytes(): number {
    const ranges: Array<[number, number]> = [];
    this.state.forEachSegment(0, Number.MAX_SAFE_INTEGER, (_vma, p, s, e) => {
      const off = p.off + (s - p.start);
      const last = ranges[ranges.length - 1];
      if (last !== undefined && last[1] === off) last[1] = off + (e - s);
      else ranges.push([off, off + (e - s)]);
    });
    let n = 0;
    for (const [start, end] of ranges) n += this.memoryFile.committedBytes(start, end - start);
    return n;
  }

  /** Memory totals in bytes. */
  stats(): MemoryStats {
    const s: MemoryStats = { vmSize: 0, vmPeak: 0, rss: 0, rssAnon: 0, rssShared: 0, data: 0, stack: 0, text: 0, locked: 0 };
    for (const v of this.vmas.items) {
      const size = v.end - v.start;
      s.vmSize += size;
      const c = this.countPages(v);
      s.rss += c.rss;
      if (v.shared || (v.file !== null && c.anonymous === 0)) s.rssShared += c.rss;
      else s.rssAnon += c.rss;
      if (v.growsDown) s.stack += size;
      else if (!v.shared && (v.prot & PROT.WRITE) !== 0) s.data += size;
      if (v.file !== null && (v.prot & PROT.EXEC) !== 0 && (v.prot & PROT.WRITE) === 0) s.text += size;
      if (v.locked) s.locked += size;
    }
    s.vmPeak = Math.max(this.state.vmPeak, s.vmSize);
    return s;
  }

  /** The /proc maps name: the file, an explicit name, or [heap]/[stack] like Linux. */
  private nameOf(v: Vma): string | null {
    if (v.name !== null) return v.name;
    if (v.file !== null) return v.file.mapsName;
    if (this.state.brkStart !== 0 && v.start < this.state.brkEnd && v.end > this.state.brkStart) return '[heap]';
    if (this.state.stackStart !== 0 && v.start <= this.state.stackStart && v.end >= this.state.stackStart) return '[stack]';
    return null;
  }

  /** Resident / proportional / anonymous bytes of a VMA. */
  private countPages(v: Vma): SmapsCounts {
    const c: SmapsCounts = { rss: 0, pss: 0, sharedBytes: 0, privateBytes: 0, anonymous: 0 };
    this.state.forEachSegment(v.start, v.end, (_vma, p, s, e) => {
      const off = p.off + (s - p.start);
      for (const r of this.memoryFile.committedRanges(off, e - s)) {
        for (const run of this.memoryFile.refCountRuns(r.start, r.end - r.start)) {
          const bytes = run.end - run.start;
          // Linux divides by the number of mappings; a file's own reference is not one.
          const mappings = Math.max(1, run.count - (p.fromFile ? 1 : 0));
          c.rss += bytes;
          c.pss += bytes / mappings;
          if (mappings > 1) c.sharedBytes += bytes;
          else c.privateBytes += bytes;
          // Private pages are anonymous once they are the process's own (not the file's).
          if (!v.shared && (v.file === null || !p.cow)) c.anonymous += bytes;
        }
      }
    });
    return c;
  }
}
