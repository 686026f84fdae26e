/**
 * @tvisor/vfs/fs: a node:fs-style API over the VFS (Node only: it uses
 * Buffer and streams). `import { fs } from '@tvisor/vfs/fs'` stands in for
 * `import { fs } from 'memfs'`: a fresh in-memory tmpfs with Linux semantics.
 */
import { ASYNC_FORMS, FileHandle, promisesOf } from './node-fs/promises.js';
import { ReadStream, WriteStream, type ReadStreamOptions, type WriteStreamOptions } from './node-fs/streams.js';
import { Volume, type PathLike } from './node-fs/volume.js';

export { FileHandle, ReadStream, WriteStream, Volume };
export { Dirent, Stats } from './node-fs/stats.js';
export { nodeFsError, type NodeFsError } from './node-fs/errors.js';
export { openFlags, type OpenFlags, type PathLike, type VolumeOptions } from './node-fs/volume.js';
export type { ReadStreamOptions, WriteStreamOptions };

/** What `createFsFromVolume` returns: the Volume's `*Sync` calls, callback forms, `promises` and streams. */
export type FsApi = Volume & {
  promises: ReturnType<typeof promisesOf>;
  createReadStream(path: PathLike | undefined, options?: ReadStreamOptions | BufferEncoding): ReadStream;
  createWriteStream(path: PathLike | undefined, options?: WriteStreamOptions | BufferEncoding): WriteStream;
} & Record<(typeof ASYNC_FORMS)[number] | 'open' | 'close' | 'read' | 'write' | 'fstat', (...args: unknown[]) => void>;

/**
 * A node:fs-shaped object over `vol` (as memfs's function of the same name):
 * its methods are bound, so they can be passed around like node:fs's.
 */
export function createFsFromVolume(vol: Volume): FsApi {
  const fs: Record<string, unknown> = {};
  const proto = Volume.prototype as unknown as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(Volume.prototype)) {
    if (name !== 'constructor' && typeof proto[name] === 'function') fs[name] = (proto[name] as (...a: unknown[]) => unknown).bind(vol);
  }
  // Callback forms: the synchronous call, answered on the next tick (a callback is required, as in node:fs).
  for (const name of [...ASYNC_FORMS, 'open', 'close', 'read', 'write', 'fstat']) {
    const sync = fs[`${name}Sync`] as (...a: unknown[]) => unknown;
    fs[name] = (...args: unknown[]) => {
      const cb = args.pop();
      if (typeof cb !== 'function')
        throw Object.assign(new TypeError(`The "cb" argument must be of type function. Received ${typeof cb}`), { code: 'ERR_INVALID_ARG_TYPE' });
      let result: unknown;
      try {
        result = sync(...args);
      } catch (e) {
        return void process.nextTick(cb, e);
      }
      // read/write answer (err, bytes, buffer) as node:fs does.
      if (name === 'read' || name === 'write') process.nextTick(cb, null, result, args[1]);
      else process.nextTick(cb, null, result);
    };
  }
  fs.promises = promisesOf(vol);
  fs.createReadStream = (path: PathLike | undefined, options?: ReadStreamOptions | BufferEncoding) =>
    new ReadStream(vol, path, typeof options === 'string' ? { encoding: options } : options);
  fs.createWriteStream = (path: PathLike | undefined, options?: WriteStreamOptions | BufferEncoding) =>
    new WriteStream(vol, path, typeof options === 'string' ? { encoding: options } : options);
  Object.defineProperty(fs, 'vfs', { value: vol.vfs });
  return fs as unknown as FsApi;
}

/** A default volume (a fresh tmpfs) and its node:fs-style API, as memfs's `vol` and `fs`. */
export const vol = new Volume();
export const fs = createFsFromVolume(vol);
export default fs;
