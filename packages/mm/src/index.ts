export { MemoryFile, MEMORY_FILE_WINDOW, type FileRange } from './memory-file.js';
export { MemoryManager, type FaultResult, type ForkStrategy, type Iovec, type MemoryLimits, type MemoryStats, type MmapOptions } from './memory-manager.js';
export type { MappableFile, MemoryFileRange } from './mappable-file.js';
export { SharedMemory, type SharedMemoryIdentity } from './shared-memory.js';
export type { VmaInfo } from './vma.js';
export {
  DEFAULT_STACK_LIMIT,
  DEFAULT_STACK_TOP,
  MAP_32BIT_BASE,
  MAP_32BIT_END,
  MIN_STACK_GAP,
  MMAP_MIN_ADDR,
  PAGE_SHIFT,
  PAGE_SIZE,
  STACK_GUARD_GAP,
  STUB_RESERVED_START,
  TASK_SIZE,
  TASK_UNMAPPED_BASE,
  defaultLayout,
  isPageAligned,
  mmapBaseFor,
  pageAlignDown,
  pageAlignUp,
  type MemoryLayout,
} from './layout.js';
export { MAX_RW_COUNT, userBuffer } from './user-memory.js';
