/**
 * runsc's own log, as gVisor and runc write it: `--log FILE` (text lines, or
 * with `--log-format json` one JSON object per line with level, msg and time,
 * which is what containerd's and podman's shims read errors from), and
 * `--debug-log FILE` for debug lines. A path ending in '/' is a directory:
 * the file in it is named after the subcommand and pid, as gVisor does.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type Level = 'debug' | 'info' | 'warning' | 'error';

interface LogConfig {
  log?: string;
  format: 'text' | 'json';
  debugLog?: string;
  debug: boolean;
}

let config: LogConfig = { format: 'text', debug: false };

function resolvePath(path: string, command: string): string {
  if (!path.endsWith('/')) return path;
  mkdirSync(path, { recursive: true });
  return join(path, `runsc.log.${new Date().toISOString().replace(/[:.]/g, '')}.${process.pid}.${command}.txt`);
}

/** Sets where log lines go; paths are opened lazily, on the first line. */
export function configureLog(opts: { log?: string; format: string; debugLog?: string; debug: boolean; command: string }): void {
  config = {
    log: opts.log ? resolvePath(opts.log, opts.command) : undefined,
    format: opts.format === 'json' ? 'json' : 'text',
    debugLog: opts.debugLog ? resolvePath(opts.debugLog, opts.command) : undefined,
    debug: opts.debug,
  };
}

function line(level: Level, msg: string): string {
  const time = new Date().toISOString();
  if (config.format === 'json') return JSON.stringify({ level, msg, time }) + '\n';
  return `${time} ${level[0].toUpperCase()} ${msg}\n`;
}

function append(path: string, text: string): void {
  try {
    appendFileSync(path, text);
  } catch {
    // A log that cannot be written must not turn into the command's failure.
  }
}

/** Writes one log line: errors, warnings and info always go to --log; debug lines only with --debug. */
export function log(level: Level, msg: string): void {
  if (level === 'debug' && !config.debug) {
    if (config.debugLog) append(config.debugLog, line(level, msg));
    return;
  }
  if (config.log) append(config.log, line(level, msg));
  if (config.debugLog) append(config.debugLog, line(level, msg));
}

/** The flags a child runsc process needs to log to the same places. */
export function logFlags(): string[] {
  const flags = [`--log-format=${config.format}`];
  if (config.log) flags.push(`--log=${config.log}`);
  if (config.debugLog) flags.push(`--debug-log=${config.debugLog}`);
  if (config.debug) flags.push('--debug');
  return flags;
}
