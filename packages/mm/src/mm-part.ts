import type { MmState } from './mm-state.js';
import type { PageFaults } from './page-faults.js';

/**
 * What each part behind the MemoryManager facade (user memory, the mapping
 * syscalls, advice) starts from: the shared state, the fault machinery, and
 * the state's tables held directly, since the hot paths read them per access.
 */
export abstract class MmPart {
  protected readonly vmas: MmState['vmas'];
  protected readonly pmas: MmState['pmas'];
  protected readonly memoryFile: MmState['memoryFile'];
  protected readonly addressSpace: MmState['addressSpace'];

  constructor(
    protected readonly state: MmState,
    protected readonly faults: PageFaults,
  ) {
    this.vmas = state.vmas;
    this.pmas = state.pmas;
    this.memoryFile = state.memoryFile;
    this.addressSpace = state.addressSpace;
  }
}
