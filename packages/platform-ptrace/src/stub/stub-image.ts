/**
 * The ptrace stub's code: the start every stub shares (platform-stub's
 * stub-start.S) and nothing more, since the tracer does the rest. stub.S is
 * its source; a test assembles it with gcc and checks the bytes.
 */
import { STUB_CONTROL_END, STUB_START_CODE, stubElf } from '@tvisor/platform-stub';

/** Everything at and above STUB_BASE up to here belongs to the platform: the image and the control pages. */
export const STUB_RESERVED_END = STUB_CONTROL_END;

/** The assembled text of stub.S. */
export const STUB_CODE = STUB_START_CODE;

/** The stub's ELF file: STUB_CODE loaded read+exec at STUB_BASE. */
export function buildStubElf(): Uint8Array {
  return stubElf(STUB_CODE);
}
