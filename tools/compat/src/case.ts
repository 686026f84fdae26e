/**
 * One compatibility case: a real program run twice, natively and under
 * `runsc do`, in a fresh work directory. The native run is the oracle; the
 * case never states an expected output of its own.
 */
export interface CompatCase {
  /** `<group>/<what>`, unique across the suite; the group is the cases file. */
  name: string;
  /** The command, resolved on PATH (both natively and inside the sandbox). */
  argv: string[];
  /** Written to the program's standard input; without it stdin is /dev/null. */
  stdin?: string;
  /** Files to create in the fresh work directory, by relative path. */
  files?: Record<string, string | PreparedFile>;
  /** Extra environment on top of the suite's fixed, minimal environment. */
  env?: Record<string, string>;
  /**
   * Rewrites output that legitimately differs between two correct runs (PIDs,
   * timestamps, the host name). Applied to stdout and stderr of both runs.
   */
  normalise?: (output: string) => string;
  /** Compare stderr too (by default it is only reported). */
  compareStderr?: boolean;
  /** Per-run time limit; the default suits a program that takes well under a second natively. */
  timeoutMs?: number;
  /** The Debian packages the case needs on the host. */
  packages: string[];
}

export interface PreparedFile {
  content: string;
  /** Permission bits, e.g. 0o755 for a script. */
  mode?: number;
}

/** What one run of a case produced, after normalisation. */
export interface RunOutcome {
  stdout: string;
  stderr: string;
  /** The exit status as a shell reports it: 128+N when signal N killed the process. */
  status: number;
  /** The run was killed after exceeding its time limit. */
  timedOut: boolean;
  durationMs: number;
}

/** A case's verdict: the two runs and, when they disagree, why. */
export interface CaseResult {
  name: string;
  pass: boolean;
  /** One short line per disagreement (stdout, status, stderr), empty when passing. */
  mismatches: string[];
  /** A short line diff of whatever disagreed, for the report. */
  diff: string;
  native: RunOutcome;
  sandbox: RunOutcome;
}
