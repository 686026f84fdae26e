import type { CompatCase } from '../src/case.js';
import { pidsAfter } from '../src/normalise.js';

const bash = ['bash'];

/** bash itself: the language (no other program), then what needs the kernel (pipes, fork, signals). */
export const bashCases: CompatCase[] = [
  {
    name: 'bash/builtins',
    // Only builtins: runs without fork, exec or pipes.
    argv: [
      'bash',
      '-c',
      'for i in 1 2 3; do echo "$i squared is $((i * i))"; done; arr=(a b c); echo "${#arr[@]} ${arr[1]} ${arr[*]: -1}"; declare -A m=([k]=v [x]=y); echo "${m[k]}${m[x]}"; s="Hello World"; echo "${s,,} ${s^^} ${s/World/bash} ${#s}"; printf "%05d|%-4s|%x\\n" 42 ab 255; [[ abc =~ ^a(b)c$ ]] && echo "match ${BASH_REMATCH[1]}"',
    ],
    packages: bash,
  },
  {
    name: 'bash/exit-status',
    argv: ['bash', '-c', 'f() { return 3; }; f; echo "f returned $?"; exit 7'],
    packages: bash,
  },
  {
    name: 'bash/read-stdin',
    argv: ['bash', '-c', 'n=0; while IFS=: read -r user rest; do n=$((n + 1)); echo "$n:${user^}"; done; echo "lines=$n"'],
    stdin: 'root:x:0\ndaemon:x:1\nbin:x:2\n',
    packages: bash,
  },
  {
    name: 'bash/source-file',
    argv: ['bash', '-c', 'source ./lib.sh; greet tVisor; echo "version=$LIB_VERSION"'],
    files: { 'lib.sh': 'LIB_VERSION=1.2\ngreet() { echo "hello, $1"; }\n' },
    packages: bash,
  },
  {
    name: 'bash/script-file',
    argv: ['./script.sh', 'one', 'two words', 'three'],
    files: { 'script.sh': { content: '#!/bin/bash\necho "argc=$#"\nfor a in "$@"; do echo "[$a]"; done\nshift; echo "after shift: $1"\n', mode: 0o755 } },
    packages: bash,
  },
  {
    name: 'bash/pipeline',
    argv: [
      'bash',
      '-c',
      'printf "pear\\napple\\nfig\\napple\\n" | sort | uniq -c | sort -rn | head -n 2; echo "${PIPESTATUS[*]}"; false | true; echo "status $?"; set -o pipefail; false | true; echo "pipefail $?"',
    ],
    packages: [...bash, 'coreutils'],
  },
  {
    name: 'bash/subshell',
    argv: ['bash', '-c', 'x=outer; (x=inner; echo "in: $x"; exit 4); echo "status $? x=$x"; (cd /usr && pwd); pwd > /dev/null; { echo grouped; }'],
    packages: bash,
  },
  {
    name: 'bash/command-substitution',
    argv: [
      'bash',
      '-c',
      'n=$(printf "abc" | wc -c); echo "len=$n"; echo "nested: $(echo "$(echo deep)")"; files=$(ls); echo "files: $files"; echo "backticks: `echo old style`"',
    ],
    files: { 'a.txt': 'a\n', 'b.txt': 'b\n' },
    packages: [...bash, 'coreutils'],
  },
  {
    name: 'bash/here-doc',
    argv: [
      'bash',
      '-c',
      'name=world\ncat <<EOF\nhello $name\nsum $((6 * 7))\nEOF\ncat <<\'RAW\'\n$name is not expanded\nRAW\ntr a-z A-Z <<< "here string"\nwhile read -r line; do echo "read: $line"; done <<-EOF\n\tfirst\n\tsecond\n\tEOF',
    ],
    packages: [...bash, 'coreutils'],
  },
  {
    name: 'bash/trap-exit',
    argv: ['bash', '-c', 'trap \'echo "cleanup (status $?)"\' EXIT; trap \'echo "ERR trapped"\' ERR; echo body; false; exit 3'],
    packages: bash,
  },
  {
    name: 'bash/redirections',
    // Writes into the work directory.
    argv: [
      'bash',
      '-c',
      'echo one > out.txt; echo two >> out.txt; echo err 2>&1 >&2 2> err.txt; cat out.txt; exec 3< out.txt; read -r first <&3; echo "fd3: $first"; wc -l < out.txt',
    ],
    packages: [...bash, 'coreutils'],
  },
  {
    name: 'bash/pid-variables',
    // PIDs differ between any two runs; only their relationships are compared.
    argv: [
      'bash',
      '-c',
      'echo "pid=$$ ppid=$PPID"; child=$(bash -c \'echo $PPID\'); [ "$child" = "$$" ] && echo "child sees parent"; [ "$BASHPID" = "$$" ] && echo "BASHPID is pid"; (echo "subshell pid=$BASHPID"; [ "$BASHPID" != "$$" ] && echo "subshell has its own pid")',
    ],
    normalise: pidsAfter('pid', 'ppid'),
    packages: bash,
  },
  {
    name: 'bash/tmp-file',
    // /tmp must be writable; mktemp's random name is never printed.
    argv: [
      'bash',
      '-c',
      't=$(mktemp); echo data > "$t"; cat "$t"; [ -f "$t" ] && echo exists; case "$t" in /tmp/*) echo "under /tmp";; esac; rm "$t"; [ -e "$t" ] || echo removed; d=$(mktemp -d); touch "$d/a" "$d/b"; ls "$d"; rm -r "$d"',
    ],
    packages: [...bash, 'coreutils'],
  },
];
