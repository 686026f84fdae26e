import type { CompatCase } from '../src/case.js';

const log =
  [
    '2024-01-01 10:00:01 INFO  server started port=8080',
    '2024-01-01 10:00:02 WARN  disk usage 81%',
    '2024-01-01 10:00:05 ERROR connection refused host=db1',
    '2024-01-01 10:00:09 INFO  request GET /index.html 200 512',
    '2024-01-01 10:00:10 INFO  request GET /missing 404 0',
    '2024-01-01 10:00:12 ERROR timeout host=db2',
    '2024-01-01 10:00:15 INFO  request POST /api 201 64',
  ].join('\n') + '\n';

const files = { 'app.log': log, 'conf/a.conf': 'key=value\n# comment\nport=80\n', 'conf/b.conf': 'port=443\nname=b\n' };

/** grep, sed and awk (Debian's awk is mawk unless gawk is installed). */
export const textCases: CompatCase[] = [
  {
    name: 'text/grep',
    argv: ['grep', '-n', '-E', 'ERROR|WARN', 'app.log'],
    files,
    packages: ['grep'],
  },
  {
    name: 'text/grep-options',
    argv: [
      'bash',
      '-c',
      'grep -c INFO app.log; grep -v -c INFO app.log; grep -o "host=[a-z0-9]*" app.log; grep -i -w "get" app.log | head -1; grep -rn --include="*.conf" port conf | sort; grep -q nothing app.log; echo "no match status $?"',
    ],
    files,
    packages: ['grep', 'bash', 'coreutils'],
  },
  {
    name: 'text/grep-no-match',
    argv: ['grep', 'no such line', 'app.log'],
    files,
    packages: ['grep'],
  },
  {
    name: 'text/sed',
    argv: ['sed', '-E', '-n', 's/^([0-9-]+) ([0-9:]+) (ERROR|WARN) +(.*)$/\\3 at \\2: \\4/p', 'app.log'],
    files,
    packages: ['sed'],
  },
  {
    name: 'text/sed-script',
    argv: ['sed', '-e', '1i\\# begin', '-e', '/^#/d', '-e', 's/=/: /', '-e', '$a\\# end', '-e', 'y/abc/ABC/', 'conf/a.conf', 'conf/b.conf'],
    files,
    packages: ['sed'],
  },
  {
    name: 'text/sed-in-place',
    // Writes (a temporary file, then rename(2)) in the work directory.
    argv: ['bash', '-c', 'sed -i.bak "s/port=80/port=8080/" conf/a.conf && cat conf/a.conf && ls conf'],
    files,
    packages: ['sed', 'bash', 'coreutils'],
  },
  {
    name: 'text/awk',
    argv: [
      'awk',
      '$3 == "INFO" && $4 == "request" { bytes[$5] += $8; n++ } END { for (m in bytes) total += bytes[m]; printf "%d requests, %d bytes, GET %d\\n", n, total, bytes["GET"] }',
      'app.log',
    ],
    files,
    packages: ['mawk'],
  },
  {
    name: 'text/awk-fields',
    argv: [
      'awk',
      '-F',
      '=',
      'BEGIN { OFS = " -> " } /^[^#]/ { print FILENAME, NR, FNR, toupper($1), $2 * 2 } END { printf "%.3f %s\\n", 22 / 7, substr("compatibility", 4, 6) }',
      'conf/a.conf',
      'conf/b.conf',
    ],
    files,
    packages: ['mawk'],
  },
  {
    name: 'text/awk-stdin',
    argv: ['awk', '{ sum += $1; sq += $1 * $1 } END { print NR, sum, sq, sum / NR }'],
    stdin: Array.from({ length: 1000 }, (_, i) => `${(i * 37) % 101}`).join('\n') + '\n',
    packages: ['mawk'],
  },
];
