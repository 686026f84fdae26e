/**
 * Read access to the application's memory, as rt_sigreturn needs it: the
 * kernel passes one over its memory manager, tests one over a byte array.
 */
export interface UserMemoryReader {
  /** The `length` bytes at user address `addr`, or null if any of them is unreadable. */
  read(addr: number, length: number): Uint8Array | null;
}

/** A reader over `bytes` placed at user address `base`; everything else is unreadable. */
export function memoryAt(base: number, bytes: Uint8Array): UserMemoryReader {
  return {
    read(addr, length) {
      if (!Number.isSafeInteger(addr) || length < 0 || addr < base || addr + length > base + bytes.length) return null;
      return bytes.slice(addr - base, addr - base + length);
    },
  };
}
