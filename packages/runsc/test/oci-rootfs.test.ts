// The container's file systems as config.json and --overlay2 ask: the root
// written through (none) or kept in sandbox memory (root:memory), a
// read-only root, and host files bind-mounted live in both directions.
import { spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUNSC, testEnv } from './helpers.js';
import { bundle, oci, scratch } from './oci-helpers.js';

const dir = scratch('oci-rootfs');
const root = join(dir, 'state');

/** create + start + wait, the container's stdout and stderr in one file; `during` runs while it runs. */
function runContainer(id: string, bundleDir: string, globals: string[] = [], during: () => void = () => {}) {
  const out = join(dir, `${id}.out`);
  const fd = openSync(out, 'w+');
  // Not pipes: the sandbox keeps its stdio open, and spawnSync would wait for them to close.
  const c = spawnSync(process.execPath, [RUNSC, '--root', root, ...globals, 'create', '--bundle', bundleDir, id], {
    encoding: 'utf8',
    stdio: ['ignore', fd, fd],
    timeout: 120_000,
    env: testEnv(),
  });
  closeSync(fd);
  if (c.status !== 0) return { status: c.status ?? -1, out: readFileSync(out, 'utf8') };
  expect(oci(root, ['start', id]).status).toBe(0);
  during();
  const w = oci(root, ['wait', id]);
  expect(oci(root, ['delete', id]).status).toBe(0);
  return { status: JSON.parse(w.stdout).exitStatus as number, out: readFileSync(out, 'utf8') };
}

/** Polls (bounded) until `cond` holds: synchronises on a file the container writes. */
function until(cond: () => boolean): boolean {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return true;
    spawnSync('sleep', ['0.02']);
  }
  return cond();
}

afterAll(() => {
  for (const id of oci(root, ['list', '-q']).stdout.split('\n').filter(Boolean)) oci(root, ['delete', '--force', id]);
});

describe('runsc OCI: root file system and bind mounts', () => {
  const script = 'echo new > /created; echo changed >> /etc/passwd; cat /created';

  it('--overlay2=none writes through to the bundle rootfs; root:memory (the default) leaves it untouched', () => {
    const none = bundle(join(dir, 'none'), ['sh', '-c', script]);
    const r = runContainer('none', none, ['--overlay2=none']);
    expect(r).toEqual({ status: 0, out: 'new\n' });
    expect(readFileSync(join(none, 'rootfs/created'), 'utf8')).toBe('new\n');
    expect(readFileSync(join(none, 'rootfs/etc/passwd'), 'utf8')).toMatch(/\nchanged\n$/);

    const mem = bundle(join(dir, 'mem'), ['sh', '-c', script]);
    expect(runContainer('mem', mem)).toEqual({ status: 0, out: 'new\n' });
    expect(runContainer('mem2', mem, ['--overlay2=root:memory'])).toEqual({ status: 0, out: 'new\n' });
    expect(existsSync(join(mem, 'rootfs/created'))).toBe(false);
    expect(readFileSync(join(mem, 'rootfs/etc/passwd'), 'utf8')).not.toContain('changed');
  }, 300_000);

  it('a read-only root refuses writes with EROFS (with any --overlay2)', () => {
    const ro = bundle(join(dir, 'ro'), ['sh', '-c', 'touch /x 2>&1; echo tmp > /tmp/ok && cat /tmp/ok'], (s) => {
      s.root.readonly = true;
      s.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['mode=1777'] });
    });
    for (const [id, globals] of [
      ['ro1', []],
      ['ro2', ['--overlay2=none']],
    ] as const) {
      const r = runContainer(id, ro, [...globals]);
      expect(r.out).toBe('touch: /x: Read-only file system\ntmp\n');
      expect(existsSync(join(ro, 'rootfs/x'))).toBe(false);
    }
  }, 300_000);

  it('a bind-mounted host file is live: writes on either side are seen on the other', () => {
    const hostFile = join(dir, 'shared.txt');
    writeFileSync(hostFile, 'from-host-1\n');
    const b = bundle(
      join(dir, 'bindfile'),
      ['sh', '-c', 'cat /etc/shared; echo from-inside >> /etc/shared; while ! grep -q from-host-2 /etc/shared; do sleep 0.05; done; cat /etc/shared'],
      (s) => s.mounts.push({ destination: '/etc/shared', type: 'bind', source: hostFile, options: ['rbind', 'rw'] }),
    );
    const r = runContainer('bindfile', b, [], () => {
      expect(until(() => readFileSync(hostFile, 'utf8').includes('from-inside'))).toBe(true);
      appendFileSync(hostFile, 'from-host-2\n');
    });
    expect(r.status).toBe(0);
    expect(r.out).toBe('from-host-1\nfrom-host-1\nfrom-inside\nfrom-host-2\n');
  }, 300_000);

  it("all:memory keeps a bind mount's writes in the sandbox; a bad --overlay2 is a one-line error", () => {
    const hostFile = join(dir, 'kept.txt');
    writeFileSync(hostFile, 'host\n');
    const b = bundle(join(dir, 'allmem'), ['sh', '-c', 'echo inside >> /etc/kept; cat /etc/kept'], (s) =>
      s.mounts.push({ destination: '/etc/kept', type: 'bind', source: hostFile, options: ['rbind', 'rw'] }),
    );
    expect(runContainer('allmem', b, ['--overlay2=all:memory'])).toEqual({ status: 0, out: 'host\ninside\n' });
    expect(readFileSync(hostFile, 'utf8')).toBe('host\n');
    const bad = oci(root, ['--overlay2=sometimes', 'create', '--bundle', b, 'bad']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('runsc: invalid --overlay2 value "sometimes": want none, root:memory, root:self, all:memory or all:self\n');
    expect(existsSync(join(root, 'bad'))).toBe(false);
  }, 300_000);

  it('maskedPaths read as empty, readonlyPaths refuse writes (EROFS); the process gets its rlimits, no_new_privs, oom_score_adj, groups', () => {
    const b = bundle(
      join(dir, 'attrs'),
      [
        'sh',
        '-c',
        [
          'cat /etc/passwd; echo "masked-file=$?"; ls -A /root | wc -l',
          '(echo x > /root/y) 2>&1 | sed "s/.*: //"',
          'touch /etc/new 2>&1 | sed "s/.*: //"; touch /mnt/ok && echo writable-elsewhere',
          'ulimit -n; ulimit -Hn; ulimit -s',
          'grep NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj; id -G',
        ].join('; '),
      ],
      (s) => {
        s.linux = { maskedPaths: ['/etc/passwd', '/root', '/does/not/exist'], readonlyPaths: ['/etc', '/also/missing'] };
        s.process.rlimits = [
          { type: 'RLIMIT_NOFILE', soft: 321, hard: 4321 },
          { type: 'RLIMIT_STACK', soft: 1048576, hard: 1048576 },
        ];
        s.process.noNewPrivileges = true;
        s.process.oomScoreAdj = 250;
        s.process.user.additionalGids = [10, 20];
        s.mounts.push({ destination: '/mnt', type: 'tmpfs', source: 'tmpfs' });
      },
    );
    const r = runContainer('attrs', b, ['--overlay2=none']);
    expect(r.out).toBe(
      [
        'masked-file=0',
        '0',
        'Read-only file system',
        'Read-only file system',
        'writable-elsewhere',
        '321',
        '4321',
        '1024',
        'NoNewPrivs:\t1',
        '250',
        '0 10 20',
        '',
      ].join('\n'),
    );
    expect(r.status).toBe(0);
    expect(readFileSync(join(b, 'rootfs/etc/passwd'), 'utf8')).toContain('root:x:0:0');
  }, 300_000);
});
