import type { CompatCase } from '../src/case.js';
import { archiveCases } from './archive.js';
import { bashCases } from './bash.js';
import { coreutilsCases } from './coreutils.js';
import { gitCases } from './git.js';
import { jobsCases } from './jobs.js';
import { nodeCases } from './node.js';
import { perlCases } from './perl.js';
import { pythonCases } from './python.js';
import { sqliteCases } from './sqlite.js';
import { textCases } from './text.js';
import { toolchainCases } from './toolchain.js';

/** Every case, grouped by the file that defines it (the name's prefix). */
export const casesByFile: Readonly<Record<string, readonly CompatCase[]>> = {
  bash: bashCases,
  coreutils: coreutilsCases,
  text: textCases,
  archive: archiveCases,
  perl: perlCases,
  toolchain: toolchainCases,
  git: gitCases,
  python: pythonCases,
  node: nodeCases,
  sqlite: sqliteCases,
  jobs: jobsCases,
};

export const allCases: readonly CompatCase[] = Object.values(casesByFile).flat();
