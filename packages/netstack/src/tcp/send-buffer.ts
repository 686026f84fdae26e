// Bytes written by the application and not yet acknowledged, addressed by
// offset from SND.UNA. Stored in fixed-size chunks so any offset is found in
// O(1) and acknowledged data is released chunk by chunk.

const CHUNK_SHIFT = 16;
const CHUNK = 1 << CHUNK_SHIFT;

/** Released chunks kept for reuse: fresh large allocations cost page faults and GC. */
const POOL_MAX = 64;
const pool: Uint8Array[] = [];

function takeChunk(): Uint8Array {
  return pool.pop() ?? new Uint8Array(CHUNK);
}

export class SendBuffer {
  private chunks: Uint8Array[] = [];
  /** Offset of SND.UNA within chunks[0]. */
  private head = 0;
  /** Bytes held. */
  length = 0;

  /** Appends up to `max` bytes of `data`; returns how many were taken. */
  append(data: Uint8Array, max = data.length): number {
    let n = Math.min(max, data.length);
    const total = n;
    let src = 0;
    while (n > 0) {
      const end = this.head + this.length;
      const idx = end >>> CHUNK_SHIFT;
      const within = end & (CHUNK - 1);
      if (idx >= this.chunks.length) this.chunks.push(takeChunk());
      const take = Math.min(n, CHUNK - within);
      this.chunks[idx].set(data.subarray(src, src + take), within);
      src += take;
      n -= take;
      this.length += take;
    }
    return total;
  }

  /** Copies `len` bytes starting `offset` bytes after SND.UNA into dst at dstOff. */
  copyOut(offset: number, len: number, dst: Uint8Array, dstOff: number): void {
    let at = this.head + offset;
    let out = dstOff;
    let n = len;
    while (n > 0) {
      const idx = at >>> CHUNK_SHIFT;
      const within = at & (CHUNK - 1);
      const take = Math.min(n, CHUNK - within);
      dst.set(this.chunks[idx].subarray(within, within + take), out);
      out += take;
      at += take;
      n -= take;
    }
  }

  /** Releases `n` acknowledged bytes from the front. */
  consume(n: number): void {
    const k = Math.min(n, this.length);
    this.length -= k;
    this.head += k;
    const drop = this.head >>> CHUNK_SHIFT;
    if (drop > 0) {
      for (const c of this.chunks.splice(0, drop)) if (pool.length < POOL_MAX) pool.push(c);
      this.head &= CHUNK - 1;
    }
    if (this.length === 0 && this.chunks.length > 1) {
      for (const c of this.chunks.splice(1)) if (pool.length < POOL_MAX) pool.push(c);
    }
  }
}
