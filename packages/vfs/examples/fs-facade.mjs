// node:fs's API over an in-memory tmpfs with Linux semantics; where code used
// memfs, `import { fs } from 'memfs'` becomes this one line:
import { fs } from '@tvisor/vfs/fs';

fs.mkdirSync('/app/logs', { recursive: true });
fs.writeFileSync('/app/config.json', JSON.stringify({ port: 8080 }));
fs.appendFileSync('/app/logs/out.log', 'started\n');
console.log(JSON.parse(fs.readFileSync('/app/config.json', 'utf8')).port); // 8080
console.log(
  fs
    .readdirSync('/app', { withFileTypes: true })
    .map((d) => `${d.name}${d.isDirectory() ? '/' : ''}`)
    .join(' '),
); // logs/ config.json

try {
  fs.rmdirSync('/app');
} catch (e) {
  console.log(e.code, e.errno, e.syscall, e.path); // ENOTEMPTY -39 rmdir /app
}

const fd = fs.openSync('/app/data', 'w+');
fs.writeSync(fd, 'hello');
const buf = Buffer.alloc(5);
fs.readSync(fd, buf, 0, 5, 0);
fs.closeSync(fd);
console.log(buf.toString(), fs.statSync('/app/data').size); // hello 5

console.log(await fs.promises.readFile('/app/logs/out.log', 'utf8')); // started
