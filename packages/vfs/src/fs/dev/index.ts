export { FullFile, MEM_MAJOR, MemoryDevice, NullFile, RandomFile, registerMemoryDevices, ZeroFile } from './memory-devices.js';
export { createDevTmpfs } from './devtmpfs.js';
