import type { CompatCase } from '../src/case.js';
import { epochSeconds, hostAfter, sortLines } from '../src/normalise.js';

const coreutils = ['coreutils'];

const tree = {
  'docs/readme.txt': 'read me\n',
  'docs/notes.txt': 'some notes\nover two lines\n',
  'src/main.c': 'int main(void) { return 0; }\n',
  'src/util.h': '#pragma once\n',
  'data.csv': 'pear,3\napple,10\nfig,3\nkiwi,7\n',
};

/** GNU coreutils (and findutils), mostly run directly rather than through a shell. */
export const coreutilsCases: CompatCase[] = [
  {
    name: 'coreutils/ls',
    argv: ['ls', '-1', '-A', '-R', '-p'],
    files: tree,
    packages: coreutils,
  },
  {
    name: 'coreutils/ls-long',
    // Numeric ids and no dates: owner names and mtimes are not what is compared.
    argv: ['ls', '-ln', '--time-style=+', 'data.csv', 'docs', 'run.sh'],
    files: { ...tree, 'run.sh': { content: '#!/bin/sh\n', mode: 0o750 } },
    packages: coreutils,
  },
  {
    name: 'coreutils/ls-missing',
    argv: ['ls', 'data.csv', 'no-such-file'],
    files: tree,
    compareStderr: true,
    packages: coreutils,
  },
  {
    name: 'coreutils/stat',
    argv: ['stat', '-c', '%n size=%s type=%F mode=%a links=%h', 'data.csv', 'docs', 'run.sh', 'docs/notes.txt'],
    files: { ...tree, 'run.sh': { content: '#!/bin/sh\n', mode: 0o755 } },
    packages: coreutils,
  },
  {
    name: 'coreutils/sort',
    argv: ['sort', '-t,', '-k2,2n', '-k1,1r', 'data.csv'],
    files: tree,
    packages: coreutils,
  },
  {
    name: 'coreutils/uniq',
    argv: ['uniq', '-c'],
    stdin: 'a\na\nb\nc\nc\nc\na\n',
    packages: coreutils,
  },
  {
    name: 'coreutils/wc',
    argv: ['wc', 'data.csv', 'docs/notes.txt', 'docs/readme.txt'],
    files: tree,
    packages: coreutils,
  },
  {
    name: 'coreutils/md5sum',
    argv: ['md5sum', 'data.csv', 'docs/notes.txt', '-'],
    files: tree,
    stdin: 'from stdin\n',
    packages: coreutils,
  },
  {
    name: 'coreutils/seq',
    argv: ['seq', '-s', ',', '-w', '1', '3', '40'],
    packages: coreutils,
  },
  {
    name: 'coreutils/seq-large',
    // 100,000 lines: many write(2) calls through a pipe to the runner.
    argv: ['seq', '100000'],
    packages: coreutils,
  },
  {
    name: 'coreutils/date',
    // A fixed instant in three zones: reads the zoneinfo database.
    argv: [
      'bash',
      '-c',
      'for tz in UTC Asia/Tokyo America/New_York; do TZ=$tz date -d @1700000000 "+%Y-%m-%d %H:%M:%S %Z %A %j"; done; date -u -d "2024-02-29 12:00" +%s',
    ],
    packages: [...coreutils, 'tzdata'],
  },
  {
    name: 'coreutils/date-now',
    // The current time differs between the runs; its format must not.
    argv: ['date', '-u', '+%s'],
    normalise: epochSeconds,
    packages: coreutils,
  },
  {
    name: 'coreutils/env',
    // The environment passes through unchanged (its order is not what is compared).
    argv: ['env'],
    env: { COMPAT_GREETING: 'hello world', COMPAT_EMPTY: '' },
    normalise: sortLines,
    packages: coreutils,
  },
  {
    name: 'coreutils/env-exec',
    argv: ['env', '-i', 'A=1', 'B=two', '/usr/bin/env'],
    packages: coreutils,
  },
  {
    name: 'coreutils/uname',
    argv: ['bash', '-c', 'echo "host=$(uname -n)"; uname -s -m -o'],
    normalise: hostAfter('host'),
    packages: coreutils,
  },
  {
    name: 'coreutils/cp-mv-rm',
    argv: [
      'bash',
      '-c',
      'cp data.csv copy.csv && mv copy.csv moved.csv && cp -r docs docs2 && rm docs2/readme.txt && mkdir -p a/b/c && touch a/b/c/empty && rmdir docs2 2>/dev/null; rm -r a; ls -1 . docs2; cmp data.csv moved.csv && echo same',
    ],
    files: tree,
    packages: [...coreutils, 'bash', 'diffutils'],
  },
  {
    name: 'coreutils/find',
    // readdir order is the file system's, not find's: sorted before comparing.
    argv: ['find', '.', '-name', '*.txt', '-o', '-type', 'd', '-name', 'src'],
    files: tree,
    normalise: sortLines,
    packages: ['findutils'],
  },
  {
    name: 'coreutils/find-xargs',
    argv: ['bash', '-c', 'find . -type f -print0 | sort -z | xargs -0 wc -c; find . -name "*.txt" | sort | xargs -n 1 basename'],
    files: tree,
    packages: [...coreutils, 'findutils', 'bash'],
  },
  {
    name: 'coreutils/text-tools',
    argv: [
      'bash',
      '-c',
      'cut -d, -f1 data.csv | paste -sd+; head -c 5 data.csv; echo; tail -n 1 data.csv; tr a-z A-Z < docs/readme.txt; nl -ba docs/notes.txt; printf "%s\\n" b a c | tac; basename /x/y/z.txt .txt; dirname /x/y/z.txt',
    ],
    files: tree,
    packages: [...coreutils, 'bash'],
  },
  {
    name: 'coreutils/large-stdin',
    // A megabyte through the stdin pipe the runner (or runsc) hands over.
    argv: ['sha256sum'],
    stdin: Array.from({ length: 20_000 }, (_, i) => `${i} ${'abcdefghij'.repeat(5)}`).join('\n'),
    packages: coreutils,
  },
  {
    name: 'coreutils/proc-self',
    // What /proc says about the reading process itself (not the host's or the sentry's).
    argv: [
      'bash',
      '-c',
      "readlink /proc/self/exe; cat /proc/self/comm; tr '\\0' ' ' < /proc/self/cmdline; echo; grep '^Name:' /proc/self/status; grep -q '^processor' /proc/cpuinfo && echo cpuinfo; [ -d /proc/self/fd ] && echo fd-dir",
    ],
    packages: [...coreutils, 'bash', 'grep'],
  },
  {
    name: 'coreutils/dev-files',
    argv: [
      'bash',
      '-c',
      'head -c 16 /dev/zero | od -An -tx1; head -c 32 /dev/urandom | wc -c; echo discarded > /dev/null && echo "null ok"; echo x 2>/dev/null > /dev/full; echo "full status $?"; [ -c /dev/null ] && echo "null is a character device"',
    ],
    packages: [...coreutils, 'bash'],
  },
  {
    name: 'coreutils/errors',
    // The messages carry errno's text: ENOENT, EEXIST, ENOTEMPTY, ENOTDIR, EISDIR.
    argv: [
      'bash',
      '-c',
      'cat missing; mkdir docs; rmdir docs; cd data.csv; ln -s data.csv docs; cat docs; echo x > docs; ls docs/readme.txt/x; echo "last $?"',
    ],
    files: tree,
    compareStderr: true,
    packages: [...coreutils, 'bash'],
  },
  {
    name: 'coreutils/links',
    argv: [
      'bash',
      '-c',
      'ln -s docs/readme.txt soft; ln data.csv hard; ln -s missing dangling; readlink soft dangling; readlink -f soft; cat soft; stat -c "%n %h %F" data.csv hard soft; stat -L -c "%n %F" soft; [ -e dangling ] || echo "dangling dangles"; ls -l --time-style=+ -n soft | cut -d" " -f1,9-; [ data.csv -ef hard ] && echo "same inode"',
    ],
    files: tree,
    packages: [...coreutils, 'bash'],
  },
  {
    name: 'coreutils/file-ops',
    // dd with seek (a hole), truncate both ways, umask, chmod, touch -d.
    argv: [
      'bash',
      '-c',
      'dd if=/dev/zero of=f bs=1k count=3 seek=2 status=none; stat -c "%s" f; truncate -s 10 f; printf "abc" | dd of=f bs=1 seek=4 conv=notrunc status=none; od -An -c f; truncate -s +5 f; stat -c "%s" f; umask 027; touch g; mkdir h; stat -c "%n %a" g h; chmod u=rwx,g=x,o= g; stat -c "%A" g; touch -d "2001-02-03 04:05:06" g; stat -c "%y" g; date -r g +%s',
    ],
    packages: [...coreutils, 'bash'],
  },
  {
    name: 'coreutils/tail-follow',
    // tail -f waits on an inotify watch (IN_MODIFY) for another process's
    // appends; without events it would print nothing until timeout kills it.
    argv: ['bash', '-c', 'f=$(mktemp); (for i in 1 2 3; do sleep 0.2; echo $i >> $f; done) & timeout 2 tail -f $f; echo rc=$?; rm -f $f'],
    packages: [...coreutils, 'bash'],
  },
  {
    name: 'coreutils/tail-follow-name',
    // tail -F follows the name through a rename and a removal (IN_MOVE_SELF,
    // IN_DELETE_SELF, IN_ATTRIB on the file; IN_CREATE on the directory).
    // Each step waits for tail: a new f created right after the rename
    // races tail's handling of IN_MOVE_SELF ("replaced" or "inaccessible,
    // then appeared"), natively too. The directory is on /dev/shm, a tmpfs
    // natively and in the sandbox: under /tmp the sandbox shows the host's
    // /tmp through its overlay, whose statfs type (overlayfs) makes tail
    // poll instead of using inotify, as it does on overlayfs under runc.
    argv: [
      'bash',
      '-c',
      'd=$(mktemp -d -p /dev/shm); cd $d; echo 0 > f; (sleep 0.3; echo 1 >> f; sleep 0.3; mv f f.old; sleep 0.3; echo 2 > f; sleep 0.3; echo 3 >> f; sleep 0.3; rm f; sleep 0.3; echo 4 > f) & timeout 4 tail -F f 2>&1; echo rc=$?; cd /; rm -rf $d',
    ],
    packages: [...coreutils, 'bash'],
  },
];
