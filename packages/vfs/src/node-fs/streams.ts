import { Buffer } from 'node:buffer';
import { Readable, Writable } from 'node:stream';
import type { OpenFlags, PathLike, Volume } from './volume.js';

export interface ReadStreamOptions {
  flags?: OpenFlags;
  encoding?: BufferEncoding;
  fd?: number;
  mode?: number;
  autoClose?: boolean;
  start?: number;
  end?: number;
  highWaterMark?: number;
}
export interface WriteStreamOptions {
  flags?: OpenFlags;
  encoding?: BufferEncoding;
  fd?: number;
  mode?: number;
  autoClose?: boolean;
  start?: number;
}

/** fs.ReadStream over a `Volume`: reads `start`..`end` (inclusive) in highWaterMark chunks. */
export class ReadStream extends Readable {
  fd: number | null;
  bytesRead = 0;
  private pos: number | undefined;
  private readonly end: number;
  private readonly autoClose: boolean;

  constructor(
    private readonly vol: Volume,
    readonly path: PathLike | undefined,
    private readonly opts: ReadStreamOptions = {},
  ) {
    super({ highWaterMark: opts.highWaterMark ?? 64 * 1024, encoding: opts.encoding });
    this.fd = opts.fd ?? null;
    this.pos = opts.start;
    this.end = opts.end ?? Infinity;
    this.autoClose = opts.autoClose ?? true;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    try {
      if (this.fd === null) this.fd = this.vol.openSync(this.path!, this.opts.flags ?? 'r', this.opts.mode);
      this.emit('open', this.fd);
      this.emit('ready');
      callback();
    } catch (e) {
      callback(e as Error);
    }
  }

  override _read(size: number): void {
    const want = Math.min(size, this.end - (this.pos ?? this.bytesRead) + 1);
    if (want <= 0) return void setImmediate(() => this.push(null));
    const buf = Buffer.allocUnsafe(want);
    try {
      const n = this.vol.readSync(this.fd!, buf, 0, want, this.pos ?? null);
      if (this.pos !== undefined) this.pos += n;
      this.bytesRead += n;
      // Delivered on a later turn, as node:fs's reads complete, so each read is its own chunk.
      setImmediate(() => this.push(n === 0 ? null : buf.subarray(0, n)));
    } catch (e) {
      this.destroy(e as Error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.fd !== null && this.autoClose) {
      try {
        this.vol.closeSync(this.fd);
      } catch (e) {
        error ??= e as Error;
      }
      this.fd = null;
    }
    callback(error);
  }
}

/** fs.WriteStream over a `Volume`: writes each chunk through (from `start` when given). */
export class WriteStream extends Writable {
  fd: number | null;
  bytesWritten = 0;
  private pos: number | undefined;
  private readonly autoClose: boolean;

  constructor(
    private readonly vol: Volume,
    readonly path: PathLike | undefined,
    private readonly opts: WriteStreamOptions = {},
  ) {
    super({ decodeStrings: true, defaultEncoding: opts.encoding ?? 'utf8' });
    this.fd = opts.fd ?? null;
    this.pos = opts.start;
    this.autoClose = opts.autoClose ?? true;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    try {
      if (this.fd === null) this.fd = this.vol.openSync(this.path!, this.opts.flags ?? 'w', this.opts.mode);
      this.emit('open', this.fd);
      this.emit('ready');
      callback();
    } catch (e) {
      callback(e as Error);
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      for (let off = 0; off < chunk.byteLength;) {
        const n = this.vol.writeSync(this.fd!, chunk, off, chunk.byteLength - off, this.pos ?? null);
        off += n;
        this.bytesWritten += n;
        if (this.pos !== undefined) this.pos += n;
      }
      callback();
    } catch (e) {
      callback(e as Error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.fd !== null && this.autoClose) {
      try {
        this.vol.closeSync(this.fd);
      } catch (e) {
        error ??= e as Error;
      }
      this.fd = null;
    }
    callback(error);
  }
}
