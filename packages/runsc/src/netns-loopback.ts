/**
 * Whether a network namespace holds anything but lo, read from
 * /proc/PID/net/dev: `runsc start` asks before it loads what takes links
 * (netns-links.ts, with koffi's native module), which a namespace holding
 * only lo (podman --network none) never needs.
 */
import { readFileSync } from 'node:fs';

/**
 * Whether the namespace at `path` (a /proc/PID/ns/net path) holds no link
 * but lo, read from /proc/PID/net/dev without starting `ip`; false when the
 * path names no process (it may then hold anything).
 */
export function onlyLoopback(path: string): boolean {
  const m = /^\/proc\/(\d+|self)\/ns\/net$/.exec(path);
  if (!m) return false;
  try {
    const names = readFileSync(`/proc/${m[1]}/net/dev`, 'utf8')
      .split('\n')
      .slice(2)
      .map((l) => l.split(':')[0].trim())
      .filter(Boolean);
    return names.every((n) => n === 'lo');
  } catch {
    return false;
  }
}
