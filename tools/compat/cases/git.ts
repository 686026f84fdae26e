import type { CompatCase } from '../src/case.js';

/**
 * Fixed identities and dates make commit hashes reproducible; no system or
 * global configuration is read (HOME is the fresh work directory).
 */
const gitEnv = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Compat Author',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z',
  GIT_COMMITTER_NAME: 'Compat Committer',
  GIT_COMMITTER_EMAIL: 'committer@example.com',
  GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z',
};

const files = {
  'README.md': '# demo\n',
  'src/app.py': 'print("hello")\n',
};

/** git plumbing and porcelain. */
export const gitCases: CompatCase[] = [
  {
    name: 'git/hash-object',
    // Reads only: no repository needed.
    argv: ['git', 'hash-object', 'README.md', 'src/app.py', '--stdin'],
    stdin: 'blob from stdin\n',
    files,
    env: gitEnv,
    packages: ['git'],
  },
  {
    name: 'git/init-add-commit-log',
    argv: [
      'bash',
      '-c',
      'git init -q -b main && git add . && git commit -q -m "first commit" && echo more >> README.md && git commit -q -am "second commit" && git log --format="%H %an <%ae> %ad %s" --date=iso-strict && git ls-files && git rev-parse HEAD~1^{tree}',
    ],
    files,
    env: gitEnv,
    packages: ['git', 'bash'],
  },
  {
    name: 'git/status-diff',
    argv: [
      'bash',
      '-c',
      'git init -q -b main && git add . && git commit -q -m base && echo changed > README.md && echo new > new.txt && git rm -q --cached src/app.py && git status --porcelain=v1 && git diff --stat && git diff --no-color README.md',
    ],
    files,
    env: gitEnv,
    packages: ['git', 'bash'],
  },
];
