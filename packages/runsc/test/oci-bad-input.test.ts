import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUNSC, runsc } from './helpers.js';
import { bundle, oci, scratch } from './oci-helpers.js';

const dir = scratch('oci-bad');
const root = join(dir, 'state');
const good = bundle(join(dir, 'good'), ['sleep', '1000']);

/** Bundles broken one way each: a copy of the good one with its config or rootfs changed. */
function broken(name: string, edit: (specPath: string, bundleDir: string) => void): string {
  const b = join(dir, name);
  mkdirSync(b, { recursive: true });
  spawnSync('ln', ['-sfn', join(good, 'rootfs'), join(b, 'rootfs')]);
  writeFileSync(join(b, 'config.json'), readFileSync(join(good, 'config.json')));
  edit(join(b, 'config.json'), b);
  return b;
}
function editSpec(path: string, f: (s: Record<string, any>) => void): void {
  const s = JSON.parse(readFileSync(path, 'utf8'));
  f(s);
  writeFileSync(path, JSON.stringify(s));
}

/** Host processes that are this test's sandboxes (runsc boot with this state root). */
function sandboxes(): string[] {
  return spawnSync('pgrep', ['-f', `root=${root} .*boot`], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
}

afterAll(() => {
  for (const id of oci(root, ['list', '-q']).stdout.split('\n').filter(Boolean)) oci(root, ['delete', '--force', id]);
});

const createCases: [string, () => string, string][] = [
  ['malformed config.json', () => broken('malformed', (p) => writeFileSync(p, '{"ociVersion": ')), 'malformed/config.json: invalid JSON: '],
  ['missing config.json', () => broken('missing', (p) => rmSync(p)), 'missing/config.json: no such file or directory'],
  ['a field of the wrong type', () => broken('wrongtype', (p) => editSpec(p, (s) => (s.process.args = 'sleep'))), 'config.json: process.args: must be array'],
  ['a required field missing', () => broken('nouid', (p) => editSpec(p, (s) => delete s.process.user.uid)), 'config.json: process.user.uid: is required'],
  [
    'a negative number in an array',
    () => broken('neggid', (p) => editSpec(p, (s) => (s.process.user.additionalGids = [10, -1]))),
    'config.json: process.user.additionalGids[1]: must be >= 0',
  ],
  [
    'an unknown namespace type',
    () => broken('badns', (p) => editSpec(p, (s) => (s.linux = { namespaces: [{ type: 'pid' }, { type: 'bogus' }] }))),
    'config.json: linux.namespaces[1].type: must be one of pid, network, mount, ipc, uts, user, cgroup, time',
  ],
  [
    'a malformed rlimit',
    () => broken('badrlimit', (p) => editSpec(p, (s) => (s.process.rlimits = [{ type: 'NOFILE', hard: 1, soft: 1 }]))),
    'config.json: process.rlimits[0].type: must match pattern "^RLIMIT_[A-Z]+$"',
  ],
  ['a config that is not an object', () => broken('notobject', (p) => writeFileSync(p, '[]')), 'config.json: the top level: must be object'],
  ['missing rootfs', () => broken('norootfs', (p) => editSpec(p, (s) => (s.root.path = 'nothere'))), 'norootfs/nothere: no such file or directory'],
  ['empty args', () => broken('noargs', (p) => editSpec(p, (s) => (s.process.args = []))), 'config.json: process.args must not be empty'],
  ['nonexistent cwd', () => broken('nocwd', (p) => editSpec(p, (s) => (s.process.cwd = '/nowhere'))), 'cwd /nowhere: No such file or directory'],
  [
    'nonexistent binary',
    () => broken('nobin', (p) => editSpec(p, (s) => (s.process.args = ['/bin/nothere']))),
    'exec "/bin/nothere": No such file or directory',
  ],
];

describe('runsc OCI: bad input is one line, exit 1, nothing left behind', () => {
  it.each(createCases)('create with %s', (_name, make, message) => {
    const b = make();
    const log = join(dir, `${_name.replace(/\W/g, '_')}.log`);
    const r = oci(root, ['--log', log, '--log-format', 'json', 'create', '--bundle', b, 'x1']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(/^runsc: .*\n$/);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain('    at ');
    // The shims read the error from the log as JSON.
    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const err = lines.find((l) => l.level === 'error');
    expect(err.msg).toContain(message);
    expect(typeof err.time).toBe('string');
    expect(existsSync(join(root, 'x1'))).toBe(false);
    expect(sandboxes()).toEqual([]);
  });

  it('duplicate and unknown IDs, start of a running container, delete of a running one', () => {
    // Not through pipes: the sandbox keeps its stdio open (spawnSync would wait for them to close).
    expect(spawnSync(process.execPath, [RUNSC, '--root', root, 'create', '--bundle', good, 'dup'], { stdio: 'ignore', timeout: 120_000 }).status).toBe(0);
    const cases: [string[], string][] = [
      [['create', '--bundle', good, 'dup'], 'container with id exists: dup'],
      [['state', 'nope'], 'container "nope" does not exist'],
      [['start', 'nope'], 'container "nope" does not exist'],
      [['kill', 'nope'], 'container "nope" does not exist'],
      [['delete', 'nope'], 'container "nope" does not exist'],
      [['exec', 'nope', 'true'], 'container "nope" does not exist'],
      [['create', '--bundle', good, '../evil'], 'invalid id format: ../evil'],
      [['kill', 'dup', 'SIGNOPE'], 'invalid signal: SIGNOPE'],
    ];
    expect(oci(root, ['start', 'dup']).status).toBe(0);
    cases.push(
      [['start', 'dup'], 'cannot start a container that has already started (status running)'],
      [['delete', 'dup'], 'cannot delete container dup that is not stopped: running'],
    );
    for (const [args, message] of cases) {
      const r = oci(root, args);
      expect({ args, stderr: r.stderr, status: r.status }).toEqual({ args, stderr: `runsc: ${message}\n`, status: 1 });
    }
    expect(sandboxes()).toHaveLength(1);
    expect(oci(root, ['delete', '--force', 'dup']).status).toBe(0);
    expect(sandboxes()).toEqual([]);
    expect(existsSync(join(root, 'dup'))).toBe(false);
  });
});

describe('runsc CLI: flags, help and one-line errors (issue 17 items 4, 6, 7, 8)', () => {
  const cases: [string[], number, string][] = [
    [['do', '-root', '/nonexistent', '/bin/true'], 128, 'runsc: Error resolving root: unable to access "/nonexistent": no such file or directory\n'],
    [['do', '-root', '/etc/passwd', '/bin/true'], 128, 'runsc: Error resolving root: unable to access "/etc/passwd": not a directory\n'],
    [
      ['do', '-cwd', '/nonexistent', '/bin/true'],
      128,
      'runsc: Error resolving current directory: unable to access "/nonexistent": no such file or directory\n',
    ],
    [['do', '-cwd', '/etc/passwd', '/bin/true'], 128, 'runsc: Error resolving current directory: unable to access "/etc/passwd": not a directory\n'],
    [['do', '-bogus', '/bin/true'], 2, 'runsc: flag provided but not defined: -bogus\n'],
    [['do'], 2, 'runsc: do: missing command\n'],
    [['--log-format', 'xml', 'list'], 2, 'runsc: invalid log format "xml": text or json\n'],
    [['--root', '/etc/passwd', 'state', 'x'], 1, 'runsc: root /etc/passwd: not a directory\n'],
    [['nosuch'], 2, 'runsc: unknown subcommand "nosuch"\n'],
    [['help', 'nosuch'], 2, 'runsc: unknown help topic: nosuch\n'],
    [['list', '--format', 'xml'], 1, 'runsc: invalid format option: xml\n'],
    [['state'], 2, 'runsc: state: container id is required\n'],
  ];
  it.each(cases)('runsc %j', (args, status, stderr) => {
    const r = runsc(args);
    expect(r.stderr).toBe(stderr);
    expect(r.status).toBe(status);
    expect(r.stderr + r.stdout).not.toContain('    at ');
  });

  it('--help, -h, help SUBCMD and SUBCMD --help print usage for every subcommand', () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = runsc(args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^Usage: runsc <flags> <subcommand> <subcommand args>\n/);
      for (const sub of [
        'do',
        'create',
        'start',
        'run',
        'state',
        'kill',
        'delete',
        'list',
        'ps',
        'exec',
        'wait',
        'events',
        'pause',
        'resume',
        'spec',
        'features',
      ])
        expect(r.stdout).toContain(`\n  ${sub} `);
    }
    for (const sub of [
      'do',
      'create',
      'start',
      'run',
      'state',
      'kill',
      'delete',
      'list',
      'ps',
      'exec',
      'wait',
      'events',
      'pause',
      'resume',
      'spec',
      'features',
      'checkpoint',
      'restore',
    ]) {
      const forms = [runsc(['help', sub]), runsc([sub, sub === 'do' || sub === 'exec' ? '-h' : '--help'])];
      for (const r of forms) {
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`^Usage: runsc ${sub} `));
        expect(r.stdout).toBe(forms[0].stdout);
      }
    }
    expect(runsc(['help', 'exec']).stdout).toContain('  -console-socket string\n');
    // About 40 runsc starts: generous on a loaded machine.
  }, 300_000);

  it('--debug-log writes debug lines; errors reach --log as text lines too', () => {
    const debugLog = join(dir, 'debug.log');
    const textLog = join(dir, 'text.log');
    runsc(['--debug', '--debug-log', debugLog, '--log', textLog, 'state', 'nope']);
    expect(readFileSync(debugLog, 'utf8')).toMatch(/ D args: \[/);
    expect(readFileSync(textLog, 'utf8')).toMatch(/^\S+ E container "nope" does not exist\n/m);
  });

  it('-quiet is accepted by do and keeps the command output', () => {
    const r = runsc(['do', '-quiet', '/bin/echo', 'hi']);
    expect(r.stdout).toBe('hi\n');
    expect(r.status).toBe(0);
  });
});
