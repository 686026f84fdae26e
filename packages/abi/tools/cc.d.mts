/** Compiles `source` (C11 + GNU extensions) with gcc, runs it, returns its stdout. */
export function compileAndRun(source: string, name?: string): string;
