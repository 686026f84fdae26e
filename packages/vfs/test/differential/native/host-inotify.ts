// The differential oracle's host side: a real inotify instance, reached
// through koffi (which lives only in native/ folders).
import { Errno, IN, SysError } from '@tvisor/abi';
import koffi from 'koffi';
import type { RecordedEvent } from '../../inotify-recorder.js';

const libc = koffi.load('libc.so.6');
const inotifyInit1 = libc.func('int inotify_init1(int flags)') as (flags: number) => number;
const inotifyAddWatch = libc.func('int inotify_add_watch(int fd, const char *path, uint32 mask)') as (fd: number, path: string, mask: number) => number;
const inotifyRmWatch = libc.func('int inotify_rm_watch(int fd, int wd)') as (fd: number, wd: number) => number;
const readFd = libc.func('long read(int fd, void *buf, size_t count)') as (fd: number, buf: Uint8Array, count: number) => number;
const closeFd = libc.func('int close(int fd)') as (fd: number) => number;

function check(r: number): number {
  if (r < 0) throw new SysError(koffi.errno() || Errno.EIO);
  return r;
}

/** The oracle: a host inotify instance. */
export class HostInotify {
  private readonly fd = check(inotifyInit1(IN.NONBLOCK | IN.CLOEXEC));
  constructor(private readonly base: string) {}
  watch(path: string, mask: number): number {
    return check(inotifyAddWatch(this.fd, path === '' ? '' : `${this.base}/${path}`, mask));
  }
  unwatch(wd: number): void {
    check(inotifyRmWatch(this.fd, wd));
  }
  take(): RecordedEvent[] {
    const out: RecordedEvent[] = [];
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = readFd(this.fd, buf, buf.length);
      if (n <= 0) break;
      const v = new DataView(buf.buffer);
      for (let at = 0; at < n;) {
        const len = v.getUint32(at + 12, true);
        const raw = buf.subarray(at + 16, at + 16 + len);
        const end = raw.indexOf(0);
        out.push({
          wd: v.getInt32(at, true),
          mask: v.getUint32(at + 4, true),
          cookie: v.getUint32(at + 8, true),
          name: new TextDecoder().decode(end < 0 ? raw : raw.subarray(0, end)),
        });
        at += 16 + len;
      }
    }
    return out;
  }
  close(): void {
    closeFd(this.fd);
  }
}
