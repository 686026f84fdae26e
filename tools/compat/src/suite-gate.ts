/**
 * The gVisor syscall-suite gate: per-binary floors (the number of cases that
 * must pass) against the verdicts the suite's runner wrote. Pure functions;
 * suite-gate-main.ts does the building, running and file reading.
 */

/** One binary's floor: the number of its cases that must pass. */
export interface Floor {
  binary: string;
  floor: number;
}

/** The part of the runner's `<binary>.json` the gate reads. */
export interface SuiteResult {
  binary: string;
  tests: Record<string, string>;
}

export interface GateOutcome {
  /** Binaries that passed fewer cases than their floor. */
  regressions: { binary: string; floor: number; passed: number }[];
  /** Binaries that passed more: their floor may be raised. */
  raised: { binary: string; floor: number; passed: number }[];
  /** Binaries with a floor but no result (not built, or the runner failed). */
  missing: string[];
  /** Cases passed over all gated binaries, and the sum of the floors. */
  totalPassed: number;
  totalFloor: number;
}

/**
 * Parses the floors file: one `binary<TAB>floor` a line; `#` starts a
 * comment; blank lines are ignored. Throws on a malformed line, naming it.
 */
export function parseFloors(text: string): Floor[] {
  const floors: Floor[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const match = /^([A-Za-z0-9_]+)\s+(\d+)$/.exec(line);
    if (!match) throw new Error(`floors line ${index + 1}: expected "binary<TAB>count", got "${raw}"`);
    const binary = match[1]!;
    if (seen.has(binary)) throw new Error(`floors line ${index + 1}: ${binary} is listed twice`);
    seen.add(binary);
    floors.push({ binary, floor: Number(match[2]) });
  });
  return floors;
}

/** Writes floors back in the file's format, one binary a line, sorted by name. */
export function formatFloors(floors: readonly Floor[], header: string): string {
  const rows = [...floors].sort((a, b) => a.binary.localeCompare(b.binary)).map((f) => `${f.binary}\t${f.floor}`);
  return `${header.trimEnd()}\n${rows.join('\n')}\n`;
}

/** The number of cases the runner marked OK. */
export function passedCount(result: SuiteResult): number {
  return Object.values(result.tests).filter((status) => status === 'OK').length;
}

/** Compares each floor with its binary's result. */
export function compareWithFloors(floors: readonly Floor[], results: ReadonlyMap<string, SuiteResult>): GateOutcome {
  const outcome: GateOutcome = { regressions: [], raised: [], missing: [], totalPassed: 0, totalFloor: 0 };
  for (const { binary, floor } of floors) {
    outcome.totalFloor += floor;
    const result = results.get(binary);
    if (!result) {
      outcome.missing.push(binary);
      continue;
    }
    const passed = passedCount(result);
    outcome.totalPassed += passed;
    if (passed < floor) outcome.regressions.push({ binary, floor, passed });
    else if (passed > floor) outcome.raised.push({ binary, floor, passed });
  }
  return outcome;
}

/**
 * New floors after a run: each floor rises to what passed, never falls
 * (the gate's floors only go up), and binaries with no result keep theirs.
 */
export function raiseFloors(floors: readonly Floor[], results: ReadonlyMap<string, SuiteResult>): Floor[] {
  return floors.map(({ binary, floor }) => {
    const result = results.get(binary);
    return { binary, floor: result ? Math.max(floor, passedCount(result)) : floor };
  });
}

/** The gate passes when no binary regressed and none is missing. */
export function gatePassed(outcome: GateOutcome): boolean {
  return outcome.regressions.length === 0 && outcome.missing.length === 0;
}

/** The report the gate prints: one line a problem, then the totals. */
export function formatOutcome(outcome: GateOutcome): string {
  const lines: string[] = [];
  for (const r of outcome.regressions) lines.push(`REGRESSION ${r.binary}: ${r.passed} passed, floor ${r.floor}`);
  for (const b of outcome.missing) lines.push(`MISSING ${b}: no result (not built, or the runner failed)`);
  for (const r of outcome.raised) lines.push(`above floor ${r.binary}: ${r.passed} passed, floor ${r.floor} (raise it with --raise)`);
  lines.push(
    `suite gate: ${outcome.totalPassed} cases passed, floors total ${outcome.totalFloor}; ` +
      `${outcome.regressions.length} regressed, ${outcome.missing.length} missing: ${gatePassed(outcome) ? 'PASS' : 'FAIL'}`,
  );
  return lines.join('\n');
}
