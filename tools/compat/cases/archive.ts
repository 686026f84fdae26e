import type { CompatCase } from '../src/case.js';

const files = {
  'project/README': 'An example project.\n',
  'project/src/main.c': '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n',
  'project/src/lines.txt': Array.from({ length: 2000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}`).join('\n') + '\n',
  'project/empty/.keep': '',
};

/** Flags that make a tar archive depend only on the files' names and contents. */
const reproducibleTar = '--sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --mode=u=rwX,go=rX';

/** tar and gzip. */
export const archiveCases: CompatCase[] = [
  {
    name: 'archive/gzip-stdout',
    // -n leaves the name and time out of the header: the bytes are comparable.
    argv: ['gzip', '-9', '-n', '-c', 'project/src/lines.txt'],
    files,
    packages: ['gzip'],
  },
  {
    name: 'archive/gzip-roundtrip',
    argv: [
      'bash',
      '-c',
      'gzip -n -c project/src/lines.txt | gzip -d -c | md5sum; md5sum < project/src/lines.txt; gzip -c project/README | gzip -l | tail -n 1 | awk "{ print \\$2 }"',
    ],
    files,
    packages: ['gzip', 'bash', 'coreutils', 'mawk'],
  },
  {
    name: 'archive/tar-stdout',
    // An uncompressed archive written to stdout by tar alone (no gzip child).
    argv: ['tar', ...reproducibleTar.split(' '), '-cf', '-', 'project'],
    files,
    packages: ['tar'],
  },
  {
    name: 'archive/tar-list',
    argv: ['bash', '-c', `tar ${reproducibleTar} -cf - project | tar -tvf -`],
    files,
    packages: ['tar', 'bash'],
  },
  {
    name: 'archive/tar-gzip-roundtrip',
    // tar -z runs gzip as a child; extraction writes the tree back.
    argv: [
      'bash',
      '-c',
      `tar ${reproducibleTar} -czf project.tgz project && rm -r project && tar -xzf project.tgz && find project -type f | sort | xargs md5sum && gzip -t project.tgz && echo ok`,
    ],
    files,
    packages: ['tar', 'gzip', 'bash', 'coreutils', 'findutils'],
  },
];
