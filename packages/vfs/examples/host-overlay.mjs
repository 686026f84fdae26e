// The host's /usr, read-only, as a sandbox root with a tmpfs overlay on top
// (what `runsc do` uses), plus /dev. Needs koffi: npm i koffi.
// node examples/host-overlay.mjs
import { VirtualFilesystem, OverlayFilesystem, createDevTmpfs, ROOT_CREDENTIALS } from '@tvisor/vfs';
import { HostFilesystem } from '@tvisor/vfs/host';
import { O } from '@tvisor/abi';

const lower = new HostFilesystem({ hostPath: '/', readOnly: true });
const vfs = new VirtualFilesystem(new OverlayFilesystem({ lower })); // tmpfs upper by default
const root = vfs.context(ROOT_CREDENTIALS);
vfs.mount(root, '/dev', createDevTmpfs(vfs.devices));

// A process with cwd /usr and credentials uid 1000:
const cwd = vfs.getVd(root, '/usr');
const ctx = { root: vfs.root(), start: cwd, creds: { uid: 1000, gid: 1000, groups: [] }, umask: 0o022 };
const dir = vfs.openAt(ctx, 'bin', { flags: O.RDONLY | O.DIRECTORY });
const names = dir.getdents(1000).map((d) => d.name);
console.log(names.includes('env'), vfs.statAt(ctx, 'bin/env', 0).size > 0, vfs.pathOf(cwd, vfs.root()).path); // true true /usr

// Writes land in the overlay's upper tmpfs; the host is untouched.
const f = vfs.openAt(root, '/usr/tvisor-was-here', { flags: O.CREAT | O.WRONLY, mode: 0o644 });
f.write(new TextEncoder().encode('only in memory\n'));
f.decRef();
console.log(vfs.statAt(root, '/usr/tvisor-was-here', 0).size); // 15
vfs.dispose();
