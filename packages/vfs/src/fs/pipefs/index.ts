export { PIPEFS_MAGIC, PipeFilesystem } from './filesystem.js';
export { Pipe, PIPE_BUF, PIPE_DEFAULT_SIZE, PIPE_MAX_SIZE } from './pipe.js';
export { fifoEnds, PipeFile } from './pipe-file.js';
