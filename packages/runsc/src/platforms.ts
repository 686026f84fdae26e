/**
 * Which platform runs the application: `--platform=ptrace|systrap`. The
 * choice and the reason for it are what `runsc help platforms` prints.
 */
import type { Platform } from '@tvisor/platform';
import { PtracePlatform } from '@tvisor/platform-ptrace';
import { SystrapPlatform, systrapSupport } from '@tvisor/platform-systrap';
import type { MemoryFile } from '@tvisor/mm';
import { UsageError } from './flags.js';
import { UserError } from './oci/errors.js';

export const PLATFORM_NAMES = ['ptrace', 'systrap'] as const;
export type PlatformName = (typeof PLATFORM_NAMES)[number];

/**
 * The default. systrap serves syscalls without a ptrace stop, but it
 * becomes the default only once it passes the whole runsc test suite;
 * until then ptrace stays the default and systrap is asked for by name.
 */
export const DEFAULT_PLATFORM: PlatformName = 'ptrace';

/** The flag's value (or $TVISOR_PLATFORM, or the default), checked: one line naming the choices otherwise. */
export function platformName(value: unknown): PlatformName {
  const v = value === undefined ? process.env.TVISOR_PLATFORM || DEFAULT_PLATFORM : String(value);
  if ((PLATFORM_NAMES as readonly string[]).includes(v)) return v as PlatformName;
  throw new UsageError(`invalid platform "${v}": one of ${PLATFORM_NAMES.join(', ')}`);
}

/** A platform over `memoryFile`; a host that cannot run systrap gets one line saying why. */
export function createPlatform(name: PlatformName, memoryFile: MemoryFile): Platform {
  if (name === 'systrap') {
    const support = systrapSupport();
    if (!support.supported) throw new UserError(`platform systrap is not available: ${support.reason}`);
    return new SystrapPlatform(memoryFile);
  }
  return new PtracePlatform(memoryFile);
}

/** `runsc help platforms`: each platform, whether this host can run it, and which one is in use and why. */
export function platformsHelp(flag: unknown): string {
  const selected = platformName(flag);
  const why = flag !== undefined ? 'asked for with --platform' : process.env.TVISOR_PLATFORM ? 'asked for with $TVISOR_PLATFORM' : 'the default';
  const systrap = systrapSupport();
  const lines = [
    `Platform in use: ${selected} (${why}).`,
    '',
    `  ptrace   available. Every syscall stops the stub for the sentry's ptrace (PTRACE_SYSEMU). The default: it passes the whole test suite.`,
    `  systrap  ${systrap.supported ? 'available' : 'NOT available'}: ${systrap.reason}. Syscalls trap (seccomp SECCOMP_RET_TRAP) into a`,
    `           handler in the stub that hands them to the sentry through shared memory and a futex; no ptrace stop. Ask for it with --platform=systrap.`,
    '',
  ];
  return lines.join('\n');
}
