export { parseElf, type ElfImage, type FileReader, type ProgramHeader, type TlsTemplate } from './elf-image.js';
export { planLoad, defaultLoadBias, loadAlignment, imageExtent, protFromFlags, type LoadPlan, type LoadMapping, type ImageExtent } from './load-plan.js';
export { loadProgram, type LoaderMemory, type LoaderFile, type LoadProgramOptions, type LoadedProgram, type AuxvEntry } from './load-program.js';
export { buildInitialStack, type ArgString, type InitialStackOptions, type InitialStack } from './initial-stack.js';
export { PAGE_SIZE, USER_ADDRESS_LIMIT, TASK_SIZE, ELF_ET_DYN_BASE, MAX_ARG_STRLEN, DEFAULT_STACK_RLIMIT, BINPRM_BUF_SIZE } from './elf-constants.js';
export { parseShebang, type Shebang } from './shebang.js';
