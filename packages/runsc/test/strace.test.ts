import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

/** A line as both print it: without runsc's `[tid] ` prefix and strace's padding before `=`, mapped addresses masked. */
function normalise(line: string): string {
  return line
    .replace(/^\[\d+\] /, '')
    .replace(/\)\s+= /, ') = ')
    .replace(/= 0x[0-9a-f]+$/, '= ADDR');
}

describe('runsc --strace renders calls as strace(1) does', () => {
  it('flags, signals, AT_FDCWD and errno names match strace(1) on the same program', () => {
    const prog = compileC(`
      #include <fcntl.h>
      #include <signal.h>
      #include <sys/mman.h>
      #include <sys/wait.h>
      #include <unistd.h>
      int main(void) {
        openat(AT_FDCWD, "/nonexistent-tvisor", O_RDONLY | O_CLOEXEC);
        mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        fcntl(1, F_GETFD);
        kill(-99999, SIGCONT);
        wait4(-1, 0, WNOHANG | WUNTRACED, 0);
        return 0;
      }`);
    const tail = (text: string) => {
      const lines = text.split('\n').map(normalise);
      const from = lines.findIndex((l) => l.includes('/nonexistent-tvisor'));
      return lines.slice(from, from + 5);
    };
    const oracle = native(['strace', '-qq', prog]);
    expect(oracle.status).toBe(0);
    const ours = runsc(['--strace', 'do', prog]);
    expect(ours.status).toBe(0);
    const expected = tail(oracle.stderr);
    expect(expected[0]).toBe('openat(AT_FDCWD, "/nonexistent-tvisor", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)');
    expect(tail(ours.stderr)).toEqual(expected);
  });
});
