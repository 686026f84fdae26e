// Oracle process for the unprivileged differential test: drops to the given
// uid/gid, then applies the operations it receives over IPC to a host
// directory with node:fs and reports results (or errno names).
import * as fs from 'node:fs';

let base = '';
const fds = new Map();
let nextSlot = 3;
const p = (path) => (path === '' ? '' : `${base}/${path}`);
const fd = (slot) => {
  const f = fds.get(slot);
  if (f === undefined) throw Object.assign(new Error('EBADF'), { code: 'EBADF' });
  return f;
};
const summary = (s) => ({
  type: s.mode & 0o170000,
  uid: s.uid,
  gid: s.gid,
  perm: s.mode & 0o7777,
  nlink: s.nlink,
  size: (s.mode & 0o170000) === 0o040000 ? undefined : s.size,
  blocks: s.blocks,
});

function run(o) {
  switch (o.op) {
    case 'mkdir':
      return fs.mkdirSync(p(o.path), o.mode);
    case 'open': {
      const f = fs.openSync(p(o.path), o.flags, o.mode);
      fds.set(nextSlot, f);
      return nextSlot++;
    }
    case 'close':
      fs.closeSync(fd(o.slot));
      fds.delete(o.slot);
      return undefined;
    case 'write':
      return fs.writeSync(fd(o.slot), Uint8Array.from(o.data), 0, o.data.length, o.pos);
    case 'read': {
      const b = new Uint8Array(o.len);
      const n = fs.readSync(fd(o.slot), b, 0, o.len, o.pos);
      return Array.from(b.subarray(0, n));
    }
    case 'rename':
      return fs.renameSync(p(o.from), p(o.to));
    case 'link':
      return fs.linkSync(p(o.from), p(o.to));
    case 'symlink':
      return fs.symlinkSync(o.target, p(o.path));
    case 'readlink':
      return fs.readlinkSync(p(o.path), 'utf8');
    case 'unlink':
      return fs.unlinkSync(p(o.path));
    case 'rmdir':
      return fs.rmdirSync(p(o.path));
    case 'chmod':
      return fs.chmodSync(p(o.path), o.mode);
    case 'chown':
      return fs.chownSync(p(o.path), o.uid, o.gid);
    case 'utimens':
      return fs.utimesSync(p(o.path), o.atime, o.mtime);
    case 'stat':
      return summary(o.follow ? fs.statSync(p(o.path)) : fs.lstatSync(p(o.path)));
    case 'fstat':
      return summary(fs.fstatSync(fd(o.slot)));
    case 'readdir':
      return fs.readdirSync(p(o.path)).sort();
    case 'access':
      return fs.accessSync(p(o.path), o.mode);
    default:
      throw new Error(`unsupported op ${o.op}`);
  }
}

process.on('message', (m) => {
  if (m.init) {
    base = m.base;
    process.setgroups(m.groups);
    process.setgid(m.gid);
    process.setuid(m.uid);
    process.umask(m.umask);
    process.send({ ok: true });
    return;
  }
  if (m.reset) {
    for (const f of fds.values()) fs.closeSync(f);
    fds.clear();
    nextSlot = 3;
    base = m.reset;
    process.send({ ok: true });
    return;
  }
  try {
    const ok = run(m);
    process.send(ok === undefined ? {} : { ok });
  } catch (e) {
    process.send(e && typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code) ? { errno: e.code } : { fatal: String(e) });
  }
});
