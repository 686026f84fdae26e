import { DT, S } from '../abi.js';
import type { StatInfo, Timespec } from '../stat.js';

const ms = (t: Timespec): number => t.sec * 1000 + t.nsec / 1e6;

/** node:fs's `Stats`: the same fields and predicates, built from a VFS `StatInfo`. */
export class Stats {
  dev: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  blksize: number;
  ino: number;
  size: number;
  blocks: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  birthtimeMs: number;
  atime: Date;
  mtime: Date;
  ctime: Date;
  birthtime: Date;

  constructor(st: StatInfo) {
    this.dev = st.dev;
    this.mode = st.mode;
    this.nlink = st.nlink;
    this.uid = st.uid;
    this.gid = st.gid;
    this.rdev = st.rdev;
    this.blksize = st.blksize;
    this.ino = st.ino;
    this.size = st.size;
    this.blocks = st.blocks;
    this.atimeMs = ms(st.atime);
    this.mtimeMs = ms(st.mtime);
    this.ctimeMs = ms(st.ctime);
    this.birthtimeMs = ms(st.btime);
    this.atime = new Date(this.atimeMs);
    this.mtime = new Date(this.mtimeMs);
    this.ctime = new Date(this.ctimeMs);
    this.birthtime = new Date(this.birthtimeMs);
  }

  private is(type: number): boolean {
    return (this.mode & S.IFMT) === type;
  }
  isFile(): boolean {
    return this.is(S.IFREG);
  }
  isDirectory(): boolean {
    return this.is(S.IFDIR);
  }
  isSymbolicLink(): boolean {
    return this.is(S.IFLNK);
  }
  isFIFO(): boolean {
    return this.is(S.IFIFO);
  }
  isSocket(): boolean {
    return this.is(S.IFSOCK);
  }
  isCharacterDevice(): boolean {
    return this.is(S.IFCHR);
  }
  isBlockDevice(): boolean {
    return this.is(S.IFBLK);
  }
}

/** node:fs's `Dirent`: a name, the directory it was read from, and its type (from d_type). */
export class Dirent {
  constructor(
    readonly name: string,
    readonly parentPath: string,
    private readonly type: number,
  ) {}
  /** Node 20's older name for `parentPath`. */
  get path(): string {
    return this.parentPath;
  }
  isFile(): boolean {
    return this.type === DT.REG;
  }
  isDirectory(): boolean {
    return this.type === DT.DIR;
  }
  isSymbolicLink(): boolean {
    return this.type === DT.LNK;
  }
  isFIFO(): boolean {
    return this.type === DT.FIFO;
  }
  isSocket(): boolean {
    return this.type === DT.SOCK;
  }
  isCharacterDevice(): boolean {
    return this.type === DT.CHR;
  }
  isBlockDevice(): boolean {
    return this.type === DT.BLK;
  }
}
