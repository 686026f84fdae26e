import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ET, PF, PT } from '@tvisor/abi';
import { parseElf } from '../loader/elf-image.js';
import { VDSO_IMAGE } from './vdso-image.js';
import { buildVdsoWithGcc } from './vdso-build.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('vDSO image', () => {
  it('matches vdso.c built by gcc with the fixed flags', () => {
    const built = buildVdsoWithGcc(here);
    if (process.env.UPDATE_VDSO_IMAGE) writeImageModule(built);
    expect(Buffer.from(VDSO_IMAGE).equals(Buffer.from(built))).toBe(true);
  });

  it('is a loadable shared object of one read+exec segment mapped at its file offsets', () => {
    const image = parseElf((off, len) => VDSO_IMAGE.subarray(off, off + len), VDSO_IMAGE.length);
    expect(image.type).toBe(ET.DYN);
    expect(image.loads).toHaveLength(1);
    expect(image.loads[0]).toMatchObject({ vaddr: 0, offset: 0, flags: PF.R | PF.X });
    expect(image.loads[0].memsz).toBe(image.loads[0].filesz);
    expect(image.programHeaders.map((h) => h.type)).toEqual([PT.LOAD, PT.DYNAMIC]);
    expect(VDSO_IMAGE.length).toBeLessThanOrEqual(4096);
  });

  it('exports the Linux vDSO functions, versioned LINUX_2.6, with soname linux-vdso.so.1 (as readelf reads it)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tvisor-vdso-'));
    try {
      const so = join(dir, 'vdso.so');
      writeFileSync(so, VDSO_IMAGE);
      const dynamic = execFileSync('readelf', ['-dW', so], { encoding: 'utf8' });
      expect(dynamic).toContain('Library soname: [linux-vdso.so.1]');
      // No relocations: the image works wherever it is mapped.
      expect(execFileSync('readelf', ['-rW', so], { encoding: 'utf8' })).toContain('no relocations');
      const symbols = new Map<string, { value: string; version: string }>();
      for (const line of execFileSync('readelf', ['--dyn-syms', '-W', so], { encoding: 'utf8' }).split('\n')) {
        const m = /^\s*\d+: ([0-9a-f]+)\s+\d+ FUNC\s+\w+\s+DEFAULT\s+\d+ ([\w]+)@@(\S+)$/.exec(line);
        if (m) symbols.set(m[2], { value: m[1], version: m[3] });
      }
      for (const name of ['clock_gettime', 'gettimeofday', 'time', 'getcpu', 'clock_getres']) {
        const prefixed = symbols.get(`__vdso_${name}`);
        expect(prefixed?.version).toBe('LINUX_2.6');
        expect(symbols.get(name)).toEqual(prefixed);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function writeImageModule(bytes: Uint8Array): void {
  writeFileSync(
    join(here, 'vdso-image.ts'),
    `/**
 * The vDSO every application gets, as built from vdso.c and vdso.lds by
 * vdso-build.ts (the image test checks that gcc reproduces these bytes).
 */

/** The ELF shared object, mapped whole at [vdso]. */
export const VDSO_IMAGE = Uint8Array.from(Buffer.from('${Buffer.from(bytes).toString('base64')}', 'base64'));
`,
  );
}
