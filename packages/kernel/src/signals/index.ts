/**
 * x86-64 signal frames: what the sentry writes on a thread's stack to run a
 * handler (Linux's struct rt_sigframe and FP area), what rt_sigreturn
 * restores from it, the siginfo payloads, and the syscall-restart rules.
 * Everything here is pure: the kernel supplies registers, FP state and
 * memory readers, and applies the results.
 */
export { ALTSTACK_DISABLED, ALTSTACK_INITIAL, onAltStack, reportedAltStackFlags, restoreAltStack, spInAltStack, type AltStack } from './altstack.js';
export * from './constants.js';
export {
  decodeFrameFpState,
  encodeFrameFpState,
  FRAME_FP_ALIGNMENT,
  frameFpAreaSize,
  fxsaveLayout,
  handlerFpState,
  hostXsaveComponents,
  xsaveLayout,
  xsaveLayoutFromPtrace,
  xsaveSizeFor,
  type FpRestoreResult,
  type FpuLayout,
  type FxsaveLayout,
  type XsaveLayout,
} from './fpu.js';
export {
  buildSignalFrame,
  frameUcFlags,
  parseSignalFrame,
  restoreFromSigreturn,
  RT_SIGFRAME,
  signalFrameAddresses,
  TASK_SIZE_MAX,
  UNBLOCKABLE,
  type ParsedSignalFrame,
  type SignalFrameAddresses,
  type SignalFrameBuilt,
  type SignalFrameFailed,
  type SignalFrameInput,
  type SignalFrameResult,
  type SigreturnFailed,
  type SigreturnInput,
  type SigreturnRestored,
  type SigreturnResult,
  type TrapInfo,
} from './frame.js';
export { memoryAt, type UserMemoryReader } from './memory.js';
export { GREG, GREG_COUNT, readGeneralRegisters, writeGeneralRegisters, type RegisterReader, type RegisterSource, type RegisterWriter } from './registers.js';
export {
  registersAfterSyscallRestart,
  syscallRestartForHandler,
  syscallRestartWithoutHandler,
  type SyscallRestartDecision,
  type SyscallRestartKind,
  type SyscallRestartState,
} from './restart.js';
export { exceptionTrap, NO_TRAP, pageFaultTrap, X86_PF, X86_TRAP, type PageFaultAccess } from './trap.js';
export {
  AUDIT_ARCH_X86_64,
  decodeSigInfo,
  sigInfoChild,
  sigInfoFault,
  sigInfoKernel,
  sigInfoKill,
  sigInfoPoll,
  sigInfoQueue,
  sigInfoSeccomp,
  sigInfoTimer,
  type DecodedSigInfo,
} from './siginfo.js';
