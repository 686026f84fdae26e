import { UsageError } from './flags.js';

/**
 * The values of --network, as gVisor's runsc takes them: `sandbox` (the
 * default: the sandbox's own stack on the container's interfaces), `host`
 * (the host's network through sentry-owned host sockets) and `none`
 * (loopback only). Until those are attached, every mode runs with the
 * sandbox's loopback only.
 */
export const NETWORK_MODES = ['sandbox', 'host', 'none'] as const;
export type NetworkMode = (typeof NETWORK_MODES)[number];

/** Parses --network: the mode, or a usage error worded as gVisor's runsc words it. */
export function parseNetworkMode(value: unknown): NetworkMode {
  const v = String(value);
  if ((NETWORK_MODES as readonly string[]).includes(v)) return v as NetworkMode;
  throw new UsageError(`invalid value "${v}" for flag -network: invalid network type "${v}"`);
}
