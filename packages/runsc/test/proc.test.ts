import { realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

const BUSYBOX = '/bin/busybox';

describe('runsc do: /proc is the sandbox\'s own', () => {
  it('lists only sandbox processes, with /proc/self naming the caller', () => {
    const r = runsc(['do', BUSYBOX, 'sh', '-c', 'ls /proc | grep -E "^[0-9]+$"; readlink /proc/self; echo $$']);
    const lines = r.stdout.trim().split('\n');
    // init (the shell, pid 1), ls and grep of the pipeline; readlink runs next, as pid 4; $$ is 1.
    expect(lines.slice(0, -2)).toEqual(['1', '2', '3']);
    expect(lines.at(-2)).toBe('4');
    expect(lines.at(-1)).toBe('1');
  });

  it('/proc/PID files describe the process as Linux does', () => {
    const r = runsc(['do', BUSYBOX, 'sh', '-c', 'cat /proc/self/cmdline | tr "\\0" " "; echo; grep -E "^(Pid|PPid|State):" /proc/$$/status; cut -d" " -f1-5 /proc/$$/stat; readlink /proc/1/exe']);
    expect(r.stdout).toBe(`cat /proc/self/cmdline \nState:\tS (sleeping)\nPid:\t1\nPPid:\t0\n1 (busybox) S 0 1\n${realpathSync(BUSYBOX)}\n`);
  });

  it('never shows the host: /proc/self/exe is the program, not the sentry', () => {
    // The executable as resolved (through /bin -> usr/bin on merged-/usr hosts), as Linux names it.
    const r = runsc(['do', BUSYBOX, 'readlink', '/proc/self/exe']);
    expect(r.stdout).toBe(native([BUSYBOX, 'readlink', '/proc/self/exe']).stdout);
    const u = runsc(['do', BUSYBOX, 'cat', '/proc/sys/kernel/osrelease']);
    expect(u.stdout).toBe('6.1.0-tvisor\n');
  });

  it('ps sees the sandbox processes', () => {
    const r = runsc(['do', BUSYBOX, 'sh', '-c', 'ps -o pid,comm | tail -n +2']);
    expect(r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)[0])).toEqual(['1', '2', '3']);
  });

  it('/proc/self/exe, cwd and fd links are absolute when the program was started by a relative path', () => {
    // Static glibc's _dl_get_origin asserts that /proc/self/exe starts with '/'.
    const prog = compileC(`
      #include <stdio.h>
      #include <unistd.h>
      #include <fcntl.h>
      static void show(const char *link) {
        char buf[4096]; ssize_t n = readlink(link, buf, sizeof buf - 1);
        buf[n < 0 ? 0 : n] = 0; printf("%s\\n", buf);
      }
      int main(void) {
        int fd = open("prog.c", O_RDONLY);
        char link[64]; snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        show("/proc/self/exe"); show("/proc/self/cwd"); show(link); show("/proc/self/root");
        return 0;
      }`);
    const dir = dirname(prog);
    const inSandbox = runsc(['do', '-cwd', dir, './prog']);
    const onHost = native(['sh', '-c', `cd ${dir} && ./prog`]);
    expect(inSandbox.stderr).toBe('');
    expect(inSandbox.status).toBe(0);
    expect(inSandbox.stdout).toBe(onHost.stdout);
    expect(inSandbox.stdout.split('\n')[0]).toBe(prog);
  });
});
