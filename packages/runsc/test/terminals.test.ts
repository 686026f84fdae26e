// Terminals inside the sandbox: devpts, the line discipline and sessions,
// checked against the same programs run natively.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOST_SCRATCH, compileC, native, runsc } from './helpers.js';

const PTY_SESSION = readFileSync(new URL('./fixtures/pty-session.c', import.meta.url), 'utf8');

describe('ptys in the sandbox', () => {
  it('posix_openpt/grantpt/unlockpt/ptsname, TIOCGPTPEER, a session with a controlling pty (^C, SIGWINCH, SIGTTIN, hangup): same as native', () => {
    const prog = compileC(PTY_SESSION);
    const want = native([prog]);
    expect(want.status).toBe(0);
    const got = runsc(['do', prog]);
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe(want.stdout);
    expect(got.stdout).toContain('child: SIGINT 1 SIGWINCH 1');
    expect(got.stdout).toContain('master after replica closed: 5 bytes [bye\\x0d\\x0a] then Input/output error');
  });

  it("python3's pty.fork exchanges data with a child through a sandbox pty, same output as native", () => {
    const dir = mkdtempSync(join(HOST_SCRATCH, 'tvisor-pty-'));
    const script = join(dir, 'ptyfork.py');
    // The child reads before the parent writes (it says so first), so the echo order is fixed.
    writeFileSync(
      script,
      `import pty, os
pid, fd = pty.fork()
if pid == 0:
    print("child tty:", os.ttyname(0), os.isatty(0), os.getsid(0) == os.getpid())
    line = input("name? ")
    print("hello", line.upper())
    os._exit(3)
out = b""
while b"name? " not in out:
    out += os.read(fd, 1024)
os.write(fd, b"world\\n")
while True:
    try:
        d = os.read(fd, 1024)
    except OSError:
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
print(repr(out.decode()), os.waitstatus_to_exitcode(st))
`,
    );
    const want = native(['python3', script]);
    const got = runsc(['do', 'python3', script]);
    // The pty's number is the host's or the sandbox's next free one: only the rest must match.
    const anyPts = (s: string) => s.replace(/\/dev\/pts\/\d+/g, '/dev/pts/N');
    expect(anyPts(got.stdout)).toBe(anyPts(want.stdout));
    expect(got.stdout).toMatch(/child tty: \/dev\/pts\/\d+ True True\\r\\nname\? world\\r\\nhello WORLD\\r\\n' 3/);
  });

  it('packet mode: a replica flush is a status byte the master polls as POLLIN|POLLPRI, as native', () => {
    const prog = compileC(`
      #define _GNU_SOURCE
      #include <fcntl.h>
      #include <poll.h>
      #include <stdio.h>
      #include <stdlib.h>
      #include <sys/ioctl.h>
      #include <termios.h>
      #include <unistd.h>
      int main(void) {
        int m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
        if (m < 0 || grantpt(m) || unlockpt(m)) return 1;
        int r = open(ptsname(m), O_RDWR | O_NOCTTY | O_NONBLOCK);
        int on = 1;
        if (r < 0 || ioctl(m, TIOCPKT, &on)) return 2;
        int flushes[] = { TCIFLUSH, TCOFLUSH, TCIOFLUSH };
        for (int i = 0; i < 3; i++) {
          struct pollfd quiet = { m, POLLIN | POLLPRI, 0 };
          int before = poll(&quiet, 1, 0);
          ioctl(r, TCFLSH, flushes[i]);
          struct pollfd p = { m, POLLIN | POLLPRI, 0 };
          int n = poll(&p, 1, 10000);
          unsigned char status = 0;
          ssize_t got = read(m, &status, 1);
          printf("flush %d: before %d, poll %d revents %#x, read %zd status %#x\\n", flushes[i], before, n, p.revents, got, status);
        }
        return 0;
      }`);
    const want = native([prog]);
    expect(want.stdout).toContain('flush 2: before 0, poll 1 revents 0x3, read 1 status 0x3');
    expect(runsc(['do', prog], { timeout: 60_000 }).stdout).toBe(want.stdout);
  });
});
