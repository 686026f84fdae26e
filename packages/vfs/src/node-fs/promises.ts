import type { Buffer } from 'node:buffer';
import type { Stats } from './stats.js';
import type { OpenFlags, PathLike, Volume } from './volume.js';

/** fs.promises' `FileHandle` over a descriptor of a `Volume`. */
export class FileHandle {
  constructor(
    private readonly vol: Volume,
    readonly fd: number,
  ) {}

  async read(
    buffer: Buffer | Uint8Array,
    offset = 0,
    length = buffer.byteLength - offset,
    position: number | null = null,
  ): Promise<{ bytesRead: number; buffer: Buffer | Uint8Array }> {
    return { bytesRead: this.vol.readSync(this.fd, buffer, offset, length, position), buffer };
  }

  async write(
    data: Buffer | Uint8Array | string,
    offset?: number | null,
    length?: number | BufferEncoding | null,
    position?: number | null,
  ): Promise<{ bytesWritten: number; buffer: Buffer | Uint8Array | string }> {
    return { bytesWritten: this.vol.writeSync(this.fd, data, offset, length, position), buffer: data };
  }

  async readFile(options?: Parameters<Volume['readFileSync']>[1]): Promise<string | Buffer> {
    return this.vol.readFileSync(this.fd, options);
  }
  async writeFile(data: string | Uint8Array, options?: Parameters<Volume['writeFileSync']>[2]): Promise<void> {
    this.vol.writeFileSync(this.fd, data, options);
  }
  async appendFile(data: string | Uint8Array, options?: Parameters<Volume['writeFileSync']>[2]): Promise<void> {
    this.vol.writeFileSync(this.fd, data, options);
  }
  async stat(): Promise<Stats> {
    return this.vol.fstatSync(this.fd);
  }
  async truncate(len = 0): Promise<void> {
    this.vol.ftruncateSync(this.fd, len);
  }
  async sync(): Promise<void> {
    this.vol.fsyncSync(this.fd);
  }
  async close(): Promise<void> {
    this.vol.closeSync(this.fd);
  }
}

/** The `*Sync` calls whose promise and callback forms are the same call, answered asynchronously. */
export const ASYNC_FORMS = [
  'readFile',
  'writeFile',
  'appendFile',
  'mkdir',
  'readdir',
  'stat',
  'lstat',
  'access',
  'unlink',
  'rmdir',
  'rm',
  'rename',
  'link',
  'symlink',
  'readlink',
  'chmod',
  'truncate',
] as const;

/** fs.promises for a `Volume`: each call runs the synchronous one and settles with its result or error. */
export function promisesOf(vol: Volume) {
  const api: Record<string, unknown> = {};
  for (const name of ASYNC_FORMS) {
    const sync = (vol as unknown as Record<string, (...a: unknown[]) => unknown>)[`${name}Sync`].bind(vol);
    api[name] = async (...args: unknown[]) => sync(...args);
  }
  api.open = async (path: PathLike, flags?: OpenFlags, mode?: number | string) => new FileHandle(vol, vol.openSync(path, flags, mode));
  return api as { [K in (typeof ASYNC_FORMS)[number]]: (...args: Parameters<Volume[`${K}Sync`]>) => Promise<ReturnType<Volume[`${K}Sync`]>> } & {
    open(path: PathLike, flags?: OpenFlags, mode?: number | string): Promise<FileHandle>;
  };
}
