// An in-memory filesystem with Linux semantics (README "Example"): node examples/tmpfs.mjs
import { O, SEEK, SysError, Errno } from '@tvisor/abi';
import { VirtualFilesystem, TmpfsFilesystem, ROOT_CREDENTIALS } from '@tvisor/vfs';

const vfs = new VirtualFilesystem(new TmpfsFilesystem({ mode: 0o755 }));
const ctx = vfs.context(ROOT_CREDENTIALS); // root = start = "/", umask 022

vfs.mkdirAt(ctx, '/etc', 0o755);
const fd = vfs.openAt(ctx, '/etc/motd', { flags: O.CREAT | O.RDWR, mode: 0o644 });
fd.write(new TextEncoder().encode('hello\n'));
fd.seek(0, SEEK.SET);
const buf = new Uint8Array(64);
const n = fd.read(buf);
console.log(JSON.stringify(new TextDecoder().decode(buf.subarray(0, n))), fd.stat().size); // "hello\n" 6
fd.decRef();

vfs.symlinkAt(ctx, 'motd', '/etc/link');
console.log(vfs.readlinkAt(ctx, '/etc/link'), vfs.statAt(ctx, '/etc/link').mode.toString(8)); // motd 100644

try {
  vfs.rmdirAt(ctx, '/etc');
} catch (e) {
  if (e instanceof SysError) console.log(e.errno === Errno.ENOTEMPTY); // true
}
