import { AUXV, EI, ELFCLASS, ELFDATA, ELFMAG, EM, ET, EV, PF, PROT, PT } from '@tvisor/abi';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BINPRM_BUF_SIZE, ELF64_EHDR_SIZE, ELF64_PHDR_SIZE, MAX_ARG_STRLEN, MAX_INTERP_PATH, PAGE_SIZE } from './elf-constants.js';
import { Scratch } from './testing/native.js';

/** Every constant the loader relies on, as the host's C headers define it. */
const PROGRAM = `#include <elf.h>
#include <limits.h>
#include <linux/binfmts.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#define P(name, value) printf("%s %lld\\n", name, (long long)(value))
int main(void) {
  P("ELF64_EHDR_SIZE", sizeof(Elf64_Ehdr)); P("ELF64_PHDR_SIZE", sizeof(Elf64_Phdr));
  P("PAGE_SIZE", sysconf(_SC_PAGESIZE));
  P("MAX_ARG_STRLEN", 32 * sysconf(_SC_PAGESIZE)); /* MAX_ARG_STRLEN is PAGE_SIZE * 32 */
  P("MAX_INTERP_PATH", PATH_MAX); P("BINPRM_BUF_SIZE", BINPRM_BUF_SIZE);
  P("EI.CLASS", EI_CLASS); P("EI.DATA", EI_DATA); P("EI.VERSION", EI_VERSION);
  P("ELFMAG.MAG0", ELFMAG0); P("ELFMAG.MAG1", ELFMAG1); P("ELFMAG.MAG2", ELFMAG2); P("ELFMAG.MAG3", ELFMAG3);
  P("ELFCLASS64", ELFCLASS64); P("ELFDATA2LSB", ELFDATA2LSB); P("EV_CURRENT", EV_CURRENT);
  P("EM_X86_64", EM_X86_64); P("ET_EXEC", ET_EXEC); P("ET_DYN", ET_DYN);
  P("PT_LOAD", PT_LOAD); P("PT_INTERP", PT_INTERP); P("PT_PHDR", PT_PHDR); P("PT_TLS", PT_TLS);
  P("PT_GNU_STACK", PT_GNU_STACK); P("PF_R", PF_R); P("PF_W", PF_W); P("PF_X", PF_X);
  P("PROT_NONE", PROT_NONE); P("PROT_READ", PROT_READ); P("PROT_WRITE", PROT_WRITE); P("PROT_EXEC", PROT_EXEC);
  P("AT_NULL", AT_NULL); P("AT_PHDR", AT_PHDR); P("AT_PHENT", AT_PHENT); P("AT_PHNUM", AT_PHNUM);
  P("AT_BASE", AT_BASE); P("AT_FLAGS", AT_FLAGS); P("AT_ENTRY", AT_ENTRY); P("AT_RANDOM", AT_RANDOM);
  P("AT_EXECFN", AT_EXECFN); P("AT_PLATFORM", AT_PLATFORM);
  return 0;
}`;

let scratch: Scratch;
let host: Map<string, number>;
beforeAll(() => {
  scratch = new Scratch();
  const out = execFileSync(scratch.compile('constants', PROGRAM, []), { encoding: 'utf8' });
  host = new Map(
    out
      .trim()
      .split('\n')
      .map((l) => [l.split(' ')[0], Number(l.split(' ')[1])] as [string, number]),
  );
});
afterAll(() => scratch.dispose());

describe('loader constants match the host C headers', () => {
  it('local sizes and limits', () => {
    expect({ ELF64_EHDR_SIZE, ELF64_PHDR_SIZE, PAGE_SIZE, MAX_ARG_STRLEN, MAX_INTERP_PATH, BINPRM_BUF_SIZE }).toEqual({
      ELF64_EHDR_SIZE: host.get('ELF64_EHDR_SIZE'),
      ELF64_PHDR_SIZE: host.get('ELF64_PHDR_SIZE'),
      PAGE_SIZE: host.get('PAGE_SIZE'),
      MAX_ARG_STRLEN: host.get('MAX_ARG_STRLEN'),
      MAX_INTERP_PATH: host.get('MAX_INTERP_PATH'),
      BINPRM_BUF_SIZE: host.get('BINPRM_BUF_SIZE'),
    });
  });

  it('the @tvisor/abi values the loader uses', () => {
    const used: [string, number][] = [
      ['EI.CLASS', EI.CLASS],
      ['EI.DATA', EI.DATA],
      ['EI.VERSION', EI.VERSION],
      ['ELFMAG.MAG0', ELFMAG.MAG0],
      ['ELFMAG.MAG1', ELFMAG.MAG1],
      ['ELFMAG.MAG2', ELFMAG.MAG2],
      ['ELFMAG.MAG3', ELFMAG.MAG3],
      ['ELFCLASS64', ELFCLASS['64']],
      ['ELFDATA2LSB', ELFDATA['2LSB']],
      ['EV_CURRENT', EV.CURRENT],
      ['EM_X86_64', EM.X86_64],
      ['ET_EXEC', ET.EXEC],
      ['ET_DYN', ET.DYN],
      ['PT_LOAD', PT.LOAD],
      ['PT_INTERP', PT.INTERP],
      ['PT_PHDR', PT.PHDR],
      ['PT_TLS', PT.TLS],
      ['PT_GNU_STACK', PT.GNU_STACK],
      ['PF_R', PF.R],
      ['PF_W', PF.W],
      ['PF_X', PF.X],
      ['PROT_NONE', PROT.NONE],
      ['PROT_READ', PROT.READ],
      ['PROT_WRITE', PROT.WRITE],
      ['PROT_EXEC', PROT.EXEC],
      ['AT_NULL', AUXV.NULL],
      ['AT_PHDR', AUXV.PHDR],
      ['AT_PHENT', AUXV.PHENT],
      ['AT_PHNUM', AUXV.PHNUM],
      ['AT_BASE', AUXV.BASE],
      ['AT_FLAGS', AUXV.FLAGS],
      ['AT_ENTRY', AUXV.ENTRY],
      ['AT_RANDOM', AUXV.RANDOM],
      ['AT_EXECFN', AUXV.EXECFN],
      ['AT_PLATFORM', AUXV.PLATFORM],
    ];
    for (const [name, value] of used) expect([name, value]).toEqual([name, host.get(name)]);
  });
});
