import { readFileSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

const BUSYBOX = '/bin/busybox';

describe("runsc do: /proc is the sandbox's own", () => {
  it('lists only sandbox processes, with /proc/self naming the caller', () => {
    // Not a pipeline: its second process may be forked after the first has read /proc (it was, under load).
    const r = runsc(['do', BUSYBOX, 'sh', '-c', 'ls /proc > /tmp/proc-list; grep -E "^[0-9]+$" /tmp/proc-list; readlink /proc/self; echo $$']);
    const lines = r.stdout.trim().split('\n');
    // init (the shell, pid 1) and ls (2) were all there was; grep ran as pid 3, readlink as 4; $$ is 1.
    expect(lines.slice(0, -2)).toEqual(['1', '2']);
    expect(lines.at(-2)).toBe('4');
    expect(lines.at(-1)).toBe('1');
  });

  it('/proc/PID files describe the process as Linux does', () => {
    const r = runsc([
      'do',
      BUSYBOX,
      'sh',
      '-c',
      'cat /proc/self/cmdline | tr "\\0" " "; echo; grep -E "^(Pid|PPid|State):" /proc/$$/status; cut -d" " -f1-5 /proc/$$/stat; readlink /proc/1/exe',
    ]);
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
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/)[0]),
    ).toEqual(['1', '2', '3']);
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

describe('runsc do: /proc/PID files runtimes read (mountinfo, mounts, ns, task, oom_score_adj, smaps_rollup)', () => {
  /** proc(5)'s mountinfo line: id, parent, major:minor, root, mount point, options, optional fields, `-`, type, source, super options. */
  // The root is a path, or for a namespace file bound on the host (nsfs, as docker and ip-netns make) `net:[N]`.
  const MOUNTINFO_LINE = /^(\d+) (\d+) (\d+):(\d+) (\/\S*|[a-z]+:\[\d+\]) (\/\S*) (\S+)( \S+:\S+)* - (\S+) (\S+) (\S+)$/;

  it("/proc/self/mountinfo has the kernel's layout (checked against the host's) and the sandbox's mounts; findmnt reads it", () => {
    const host = readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n');
    for (const line of host) expect(line).toMatch(MOUNTINFO_LINE);
    const r = runsc([
      'do',
      '/bin/sh',
      '-c',
      'cat /proc/self/mountinfo; echo --; findmnt -rn -o TARGET,FSTYPE,OPTIONS; echo --; cat /proc/mounts; echo --; cat /proc/1/mounts',
    ]);
    expect(r.stderr).toBe('');
    const [mountinfo, findmnt, mounts, mounts1] = r.stdout.split('--\n').map((s) => s.trim().split('\n'));
    const ids = new Set<string>();
    for (const line of mountinfo) {
      const m = MOUNTINFO_LINE.exec(line);
      expect(m, line).not.toBeNull();
      ids.add(m![1]);
    }
    // Every parent is listed (the root names itself), and / comes first.
    for (const line of mountinfo) expect(ids.has(line.split(' ')[1])).toBe(true);
    expect(mountinfo[0]).toMatch(/^\d+ \d+ \d+:\d+ \/ \/ rw,relatime - overlay overlay rw$/);
    expect(mountinfo.some((l) => / \/proc rw,relatime - proc proc rw$/.test(l))).toBe(true);
    expect(findmnt).toContain('/ overlay rw,relatime');
    expect(findmnt).toContain('/proc proc rw,relatime');
    // /dev is a tmpfs mounted mode=755: its options show it, as Linux's do.
    expect(findmnt).toContain('/dev tmpfs rw,relatime,mode=755');
    expect(mounts).toContain('overlay / overlay rw,relatime 0 0');
    expect(mounts).toContain('proc /proc proc rw,relatime 0 0');
    expect(mounts1).toEqual(mounts);
  });

  it('/proc/PID/oom_score_adj is kept per process, inherited, range-checked as on Linux', () => {
    const script =
      'echo 500 > /proc/self/oom_score_adj; cat /proc/self/oom_score_adj; echo 5000 > /proc/self/oom_score_adj; cat /proc/$$/oom_score_adj; echo 300 > /proc/$$/oom_score_adj; sh -c "cat /proc/\\$\\$/oom_score_adj"';
    const ours = runsc(['do', '/bin/bash', '-c', script]);
    const theirs = native(['/bin/bash', '-c', script]);
    expect(ours.stdout).toBe('500\n500\n300\n');
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.stderr).toBe(theirs.stderr);
  });

  it('/proc/PID/oom_score follows oom_score_adj as Linux scales it; a NUL ends a written oom_score_adj (differential against Linux)', () => {
    const script = [
      'def adj(v):',
      '    with open("/proc/self/oom_score_adj", "wb", buffering=0) as f: f.write(v)',
      'def score(): return int(open("/proc/self/oom_score").read())',
      'adj(b"7\\0"); print("adj", open("/proc/self/oom_score_adj").read().strip())',
      'adj(b"0"); base = score(); print("adj 0 in [666, 700]", 666 <= base <= 700)',
      'adj(b"600"); print("adj 600 adds", score() - base)',
    ].join('\n');
    const ours = runsc(['do', '/usr/bin/python3', '-c', script]);
    const theirs = native(['/usr/bin/python3', '-c', script]);
    expect(theirs.stdout).toBe('adj 7\nadj 0 in [666, 700] True\nadj 600 adds 400\n');
    expect(ours.stdout).toBe(theirs.stdout);
  });

  it('ns/ links, smaps_rollup, limits and per-thread task/TID/{stat,status,comm} look as on Linux', () => {
    const script = [
      'import os, threading',
      'ev = threading.Event(); t = threading.Thread(target=ev.wait); t.start()',
      'tids = sorted(os.listdir("/proc/self/task"), key=int)',
      'print(len(tids), tids[0] == str(os.getpid()))',
      'for tid in tids:',
      '    stat = open(f"/proc/self/task/{tid}/stat").read().split()',
      '    status = dict(l.split(":\\t", 1) for l in open(f"/proc/self/task/{tid}/status").read().splitlines() if ":\\t" in l)',
      '    print(stat[0] == tid, stat[1], status["Pid"] == tid, status["Tgid"] == str(os.getpid()), open(f"/proc/self/task/{tid}/comm").read().strip())',
      'ev.set(); t.join()',
      'import re',
      'print(sorted(re.sub(r"[0-9]+", "N", os.readlink("/proc/self/ns/" + n)) for n in ("net", "pid", "mnt", "uts", "ipc", "user")))',
      'roll = open("/proc/self/smaps_rollup").read().splitlines()',
      'print(roll[0].endswith("[rollup]"), roll[1].split()[0], roll[1].split()[2])',
      'print(open("/proc/self/limits").read().splitlines()[0].split())',
    ].join('\n');
    const ours = runsc(['do', 'python3', '-c', script]);
    const theirs = native(['python3', '-c', script]);
    expect(ours.stderr).toBe('');
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.stdout.split('\n')[0]).toBe('2 True');
  });
});
