import { PROT } from '@tvisor/abi';
import { VmHint, type Vma } from './vma.js';

/** Per-VMA page counts (bytes) for smaps. */
export interface SmapsCounts {
  rss: number;
  /** Proportional set size: each page divided by the number of its sharers. */
  pss: number;
  sharedBytes: number;
  privateBytes: number;
  anonymous: number;
}

/** Linux pads the fixed part of a maps line to this column before the name. */
const NAME_COLUMN = 73;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** dev_t (Linux's new encoding, as st_dev) to "MAJ:MIN" in hex. */
function devText(dev: number): string {
  const major = Math.floor(dev / 256) % 4096;
  const minor = (dev % 256) + (Math.floor(dev / 1048576) % 4096) * 256;
  return `${hex(major, 2)}:${hex(minor, 2)}`;
}

/** The first line of a VMA's entry: "start-end perms offset dev inode   name". */
export function formatMapsLine(v: Vma, name: string | null): string {
  const perms =
    ((v.prot & PROT.READ) !== 0 ? 'r' : '-') + ((v.prot & PROT.WRITE) !== 0 ? 'w' : '-') + ((v.prot & PROT.EXEC) !== 0 ? 'x' : '-') + (v.shared ? 's' : 'p');
  const dev = v.file !== null ? devText(v.file.dev) : '00:00';
  const ino = v.file !== null ? v.file.ino : 0;
  const line = `${hex(v.start, 8)}-${hex(v.end, 8)} ${perms} ${hex(v.fileOffset, 8)} ${dev} ${ino} `;
  if (name === null) return `${line}\n`;
  return `${line.padEnd(NAME_COLUMN - 1)} ${name}\n`;
}

function kb(bytes: number): string {
  return `${Math.floor(bytes / 1024)} kB`;
}

/** The VmFlags mnemonics of a VMA (the ones mm models, in Linux's bit order). */
function vmFlags(v: Vma): string {
  const f: string[] = [];
  if ((v.prot & PROT.READ) !== 0) f.push('rd');
  if ((v.prot & PROT.WRITE) !== 0) f.push('wr');
  if ((v.prot & PROT.EXEC) !== 0) f.push('ex');
  // A shared mapping of a file opened read-only is VM_MAYSHARE but not VM_SHARED.
  if (v.shared && (v.file === null || (v.maxProt & PROT.WRITE) !== 0)) f.push('sh');
  if ((v.maxProt & PROT.READ) !== 0) f.push('mr');
  if ((v.maxProt & PROT.WRITE) !== 0) f.push('mw');
  if ((v.maxProt & PROT.EXEC) !== 0) f.push('me');
  if (v.shared) f.push('ms');
  if (v.growsDown) f.push('gd');
  if (v.locked) f.push('lo');
  if ((v.hints & VmHint.SEQ_READ) !== 0) f.push('sr');
  if ((v.hints & VmHint.RAND_READ) !== 0) f.push('rr');
  if (v.dontFork) f.push('dc');
  if (v.account) f.push('ac');
  if (v.noReserve) f.push('nr');
  if (v.wipeOnFork) f.push('wf');
  if ((v.hints & VmHint.DONTDUMP) !== 0) f.push('dd');
  if ((v.hints & VmHint.HUGEPAGE) !== 0) f.push('hg');
  if ((v.hints & VmHint.NOHUGEPAGE) !== 0) f.push('nh');
  return f.join(' ');
}

/** One VMA's /proc/PID/smaps entry. */
export function formatSmapsEntry(v: Vma, name: string | null, c: SmapsCounts): string {
  const field = (label: string, value: string) => `${`${label}:`.padEnd(16)}${value.padStart(12)}\n`;
  const clean = 0;
  return (
    formatMapsLine(v, name) +
    field('Size', kb(v.end - v.start)) +
    field('KernelPageSize', '4 kB') +
    field('MMUPageSize', '4 kB') +
    field('Rss', kb(c.rss)) +
    field('Pss', kb(c.pss)) +
    field('Pss_Dirty', kb(c.pss)) +
    field('Shared_Clean', kb(clean)) +
    field('Shared_Dirty', kb(c.sharedBytes)) +
    field('Private_Clean', kb(clean)) +
    field('Private_Dirty', kb(c.privateBytes)) +
    field('Referenced', kb(c.rss)) +
    field('Anonymous', kb(c.anonymous)) +
    field('KSM', kb(0)) +
    field('LazyFree', kb(0)) +
    field('AnonHugePages', kb(0)) +
    field('ShmemPmdMapped', kb(0)) +
    field('FilePmdMapped', kb(0)) +
    field('Shared_Hugetlb', kb(0)) +
    field('Private_Hugetlb', kb(0)) +
    field('Swap', kb(0)) +
    field('SwapPss', kb(0)) +
    field('Locked', kb(v.locked ? c.pss : 0)) +
    `THPeligible:    0\n` +
    `VmFlags: ${vmFlags(v)} \n`
  );
}
