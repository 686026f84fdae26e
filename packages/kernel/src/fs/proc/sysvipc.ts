import { Errno, SysError } from '@tvisor/abi';
import type { KernfsFilesystem, StaticDirectory } from '@tvisor/vfs';
import type { Kernel } from '../../kernel.js';
import { ipcNamespace, ipcNamespaceOf } from '../../namespaces.js';

const PAGE = 4096;
/** The largest value an int sysctl takes (proc_dointvec). */
const INT_MAX = 2n ** 31n - 1n;

/** printf's %Nd / %Nu: right-aligned in `width` columns. */
const col = (v: number | string, width: number) => String(v).padStart(width);
/** %4o. */
const octal = (v: number) => v.toString(8).padStart(4);

/**
 * /proc/sysvipc/{msg,sem,shm}, one line per object in Linux's columns
 * (ipc/msg.c, sem.c, shm.c), and the IPC limits under /proc/sys/kernel.
 */
export function addSysvIpcEntries(fs: KernfsFilesystem, kernel: Kernel, proc: StaticDirectory, kern: StaticDirectory): void {
  const ns = () => (kernel.current ? ipcNamespaceOf(kernel.current) : ipcNamespace(kernel));
  const dir = proc.add('sysvipc', fs.dir());
  dir.add(
    'msg',
    fs.file(() => {
      let out = '       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n';
      for (const q of ns().msg.all()) {
        out += `${col(q.key, 10)} ${col(q.id, 10)}  ${octal(q.mode)}  ${col(q.bytes, 10)} ${col(q.messages.length, 10)} ${col(q.lspid, 5)} ${col(q.lrpid, 5)} `;
        out += `${col(q.uid, 5)} ${col(q.gid, 5)} ${col(q.cuid, 5)} ${col(q.cgid, 5)} ${col(q.stime, 10)} ${col(q.rtime, 10)} ${col(q.ctime, 10)}\n`;
      }
      return out;
    }),
  );
  dir.add(
    'sem',
    fs.file(() => {
      let out = '       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n';
      for (const s of ns().sem.all()) {
        out += `${col(s.key, 10)} ${col(s.id, 10)}  ${octal(s.mode)} ${col(s.nsems, 10)} ${col(s.uid, 5)} ${col(s.gid, 5)} ${col(s.cuid, 5)} ${col(s.cgid, 5)} ${col(s.otime, 10)} ${col(s.ctime, 10)}\n`;
      }
      return out;
    }),
  );
  dir.add(
    'shm',
    fs.file(() => {
      let out =
        '       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n';
      for (const s of ns().shm.all()) {
        out += `${col(s.key, 10)} ${col(s.id, 10)}  ${octal(s.mode)} ${col(s.size, 21)} ${col(s.cpid, 5)} ${col(s.lpid, 5)}  ${col(s.nattch, 5)} `;
        out += `${col(s.uid, 5)} ${col(s.gid, 5)} ${col(s.cuid, 5)} ${col(s.cgid, 5)} ${col(s.atime, 10)} ${col(s.dtime, 10)} ${col(s.ctime, 10)} `;
        out += `${col(s.residentPages() * PAGE, 21)} ${col(0, 21)}\n`;
      }
      return out;
    }),
  );
  // Root may set the limits, as in a Linux IPC namespace (what a container's
  // linux.sysctl does): integers, none negative; sem takes its four at once.
  const limit = (name: string, value: () => string, set: (fields: bigint[]) => void, count = 1) =>
    kern.add(
      name,
      fs.file(
        {
          read: () => `${value()}\n`,
          write: (data) => {
            const fields = new TextDecoder().decode(data).trim().split(/\s+/);
            if (fields.length !== count || !fields.every((f) => /^[0-9]+$/.test(f))) throw new SysError(Errno.EINVAL);
            set(fields.map((f) => BigInt(f)));
            return data.length;
          },
        },
        { perm: 0o644 },
      ),
    );
  const int = (v: bigint) => {
    if (v > INT_MAX) throw new SysError(Errno.EINVAL);
    return Number(v);
  };
  limit(
    'msgmax',
    () => String(ns().msgmax),
    ([v]) => (ns().msgmax = int(v)),
  );
  limit(
    'msgmnb',
    () => String(ns().msgmnb),
    ([v]) => (ns().msgmnb = int(v)),
  );
  limit(
    'msgmni',
    () => String(ns().msg.limit),
    ([v]) => (ns().msg.limit = int(v)),
  );
  limit(
    'sem',
    () => `${ns().semmsl}\t${ns().semmns}\t${ns().semopm}\t${ns().sem.limit}`,
    (v) => {
      const [semmsl, semmns, semopm, semmni] = v.map(int);
      Object.assign(ns(), { semmsl, semmns, semopm });
      ns().sem.limit = semmni;
    },
    4,
  );
  limit(
    'shmmax',
    () => ns().shmmax.toString(),
    ([v]) => (ns().shmmax = v),
  );
  limit(
    'shmall',
    () => ns().shmall.toString(),
    ([v]) => (ns().shmall = v),
  );
  limit(
    'shmmni',
    () => String(ns().shm.limit),
    ([v]) => (ns().shm.limit = int(v)),
  );
}
