// Test support: builds fixtures with the host's gcc and reads the host's
// readelf, so loader tests compare against real toolchain and kernel output.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoaderFile } from '../load-program.js';

/** A scratch directory removed by `dispose`. */
export class Scratch {
  readonly dir = mkdtempSync(join(tmpdir(), 'tvisor-loader-'));

  /** Compiles C `source` with gcc and `flags`; returns the binary's path. */
  compile(name: string, source: string, flags: readonly string[]): string {
    const src = join(this.dir, `${name}.c`);
    const out = join(this.dir, name);
    writeFileSync(src, source);
    execFileSync('gcc', ['-O1', '-o', out, src, ...flags], { stdio: ['ignore', 'ignore', 'pipe'] });
    return out;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A LoaderFile over a host file, reading on demand (the reader contract: short only at EOF). */
export function hostFile(path: string): LoaderFile {
  const size = statSync(path).size;
  return {
    size,
    read(offset, length) {
      const fd = openSync(path, 'r');
      try {
        const buf = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
        let done = 0;
        while (done < buf.length) {
          const n = readSync(fd, buf, done, buf.length - done, offset + done);
          if (n === 0) break;
          done += n;
        }
        return new Uint8Array(buf.buffer, buf.byteOffset, done);
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** A LoaderFile over bytes in memory. */
export function bytesFile(bytes: Uint8Array): LoaderFile {
  return { size: bytes.length, read: (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)) };
}

export function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

export interface ReadelfHeader {
  type: string;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  flags: string;
  align: number;
}

export interface ReadelfProgram {
  fileType: string;
  entry: number;
  phnum: number;
  phoff: number;
  headers: ReadelfHeader[];
  interp: string | undefined;
}

/** Parses `readelf -lW` output. */
export function readelfProgram(path: string): ReadelfProgram {
  const text = execFileSync('readelf', ['-lW', path], { encoding: 'utf8' });
  const fileType = /Elf file type is (\w+)/.exec(text)?.[1];
  const entry = /Entry point (0x[0-9a-f]+)/.exec(text)?.[1];
  const counts = /There are (\d+) program headers, starting at offset (\d+)/.exec(text);
  if (!fileType || !entry || !counts) throw new Error(`unexpected readelf output:\n${text}`);
  const headers: ReadelfHeader[] = [];
  const row = /^\s+([A-Z_a-z0-9+]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+([RWE ]{3})\s+(0x[0-9a-f]+)$/;
  for (const line of text.split('\n')) {
    const m = row.exec(line);
    if (!m) continue;
    headers.push({
      type: m[1],
      offset: Number(m[2]),
      vaddr: Number(m[3]),
      filesz: Number(m[4]),
      memsz: Number(m[5]),
      flags: m[6],
      align: Number(m[7]),
    });
  }
  return {
    fileType,
    entry: Number(entry),
    phnum: Number(counts[1]),
    phoff: Number(counts[2]),
    headers,
    interp: /\[Requesting program interpreter: (.*)\]/.exec(text)?.[1],
  };
}
