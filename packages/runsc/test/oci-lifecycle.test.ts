import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUNSC, testEnv } from './helpers.js';
import { bundle, oci, scratch } from './oci-helpers.js';

const dir = scratch('oci-life');
const root = join(dir, 'state');

/** create with the container's stdout and stderr going to files (the boot process inherits them). */
function createTo(id: string, bundleDir: string, extra: string[] = []) {
  const out = join(dir, `${id}.out`);
  const fd = openSync(out, 'w+');
  const errFd = openSync(`${out}.err`, 'w+');
  // Not pipes: the sandbox keeps its stdio open, and spawnSync would wait for them to close.
  const r = spawnSync(process.execPath, [RUNSC, '--root', root, 'create', '--bundle', bundleDir, ...extra, id], {
    encoding: 'utf8',
    stdio: ['ignore', fd, errFd],
    timeout: 120_000,
    env: testEnv(),
  });
  closeSync(fd);
  closeSync(errFd);
  return { ...r, stderr: readFileSync(`${out}.err`, 'utf8'), out };
}

function stateOf(id: string) {
  const r = oci(root, ['state', id]);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { status: string; pid: number; id: string; bundle: string; ociVersion: string; annotations: Record<string, string> };
}

afterAll(() => {
  for (const id of oci(root, ['list', '-q']).stdout.split('\n').filter(Boolean)) oci(root, ['delete', '--force', id]);
});

describe('runsc OCI lifecycle (no client)', () => {
  it('create holds init, start runs it, the sandbox exits with its status, state follows, delete removes it', () => {
    const b = bundle(join(dir, 'b1'), ['sh', '-c', 'echo "host=$(hostname)"; cat /proc/version; exit 7'], (s) => (s.annotations = { 'org.example': 'yes' }));
    const c = createTo('c1', b, ['--pid-file', join(dir, 'c1.pid')]);
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
    const st = stateOf('c1');
    expect(st).toMatchObject({ id: 'c1', status: 'created', bundle: b, ociVersion: '1.1.0', annotations: { 'org.example': 'yes' } });
    expect(Number(readFileSync(join(dir, 'c1.pid'), 'utf8'))).toBe(st.pid);
    // Nothing ran yet.
    expect(readFileSync(c.out, 'utf8')).toBe('');
    expect(statSync(join(root, 'c1')).mode & 0o777).toBe(0o700);
    expect(oci(root, ['start', 'c1']).status).toBe(0);
    const w = oci(root, ['wait', 'c1']);
    expect(JSON.parse(w.stdout)).toEqual({ id: 'c1', exitStatus: 7 });
    expect(readFileSync(c.out, 'utf8')).toMatch(/^host=tvisor-test\nLinux version \S+-tvisor /);
    expect(stateOf('c1').status).toBe('stopped');
    const list = JSON.parse(oci(root, ['list', '--format', 'json']).stdout) as { id: string; status: string }[];
    expect(list.find((x) => x.id === 'c1')?.status).toBe('stopped');
    expect(oci(root, ['delete', 'c1']).status).toBe(0);
    expect(existsSync(join(root, 'c1'))).toBe(false);
  });

  it('exec runs in the same sandbox (same processes, same files), kill reaches init, ps lists processes', () => {
    const b = bundle(join(dir, 'b2'), ['sh', '-c', 'echo shared > /tmp/mark; trap "echo got-term; exit 3" TERM; while true; do sleep 0.1; done']);
    expect(createTo('c2', b).status).toBe(0);
    expect(oci(root, ['start', 'c2']).status).toBe(0);
    expect(stateOf('c2').status).toBe('running');
    // The file init writes is there for exec (sync on it, not on time).
    const e = oci(root, ['exec', 'c2', 'sh', '-c', 'while [ ! -e /tmp/mark ]; do sleep 0.05; done; cat /tmp/mark; exit 4']);
    expect(e.stdout).toBe('shared\n');
    expect(e.status).toBe(4);
    const env = oci(root, ['exec', '--env', 'A=1', '--env', 'B=2', '--cwd', '/etc', 'c2', 'sh', '-c', 'echo $A$B $(pwd)']);
    expect(env.stdout).toBe('12 /etc\n');
    const ps = JSON.parse(oci(root, ['ps', '--format', 'json', 'c2']).stdout) as number[];
    expect(ps[0]).toBe(1);
    const table = oci(root, ['ps', 'c2']).stdout;
    expect(table).toMatch(/^UID\s+PID\s+PPID/);
    expect(oci(root, ['start', 'c2']).stderr).toBe('runsc: cannot start a container that has already started (status running)\n');
    expect(oci(root, ['delete', 'c2']).stderr).toBe('runsc: cannot delete container c2 that is not stopped: running\n');
    expect(oci(root, ['kill', 'c2', 'TERM']).status).toBe(0);
    expect(JSON.parse(oci(root, ['wait', 'c2']).stdout).exitStatus).toBe(3);
    expect(readFileSync(join(dir, 'c2.out'), 'utf8')).toBe('got-term\n');
    expect(oci(root, ['delete', 'c2']).status).toBe(0);
  });

  it('exec -d writes the pid of a helper that exits with the process status; delete --force kills a running sandbox', () => {
    const b = bundle(join(dir, 'b3'), ['sleep', '1000']);
    expect(createTo('c3', b).status).toBe(0);
    expect(oci(root, ['start', 'c3']).status).toBe(0);
    const pidFile = join(dir, 'exec.pid');
    const flag = join(dir, 'c3-flag');
    writeFileSync(flag, '');
    const d = oci(root, ['exec', '-d', '--pid-file', pidFile, 'c3', 'true']);
    expect(d.stderr).toBe('');
    expect(d.status).toBe(0);
    expect(Number(readFileSync(pidFile, 'utf8'))).toBeGreaterThan(0);
    const sandboxPid = stateOf('c3').pid;
    expect(oci(root, ['delete', '--force', 'c3']).status).toBe(0);
    expect(existsSync(`/proc/${sandboxPid}/status`) && !readFileSync(`/proc/${sandboxPid}/status`, 'utf8').includes('State:\tZ')).toBe(false);
    expect(oci(root, ['state', 'c3']).stderr).toBe('runsc: container "c3" does not exist\n');
  });

  it('kill KILL ends a container whose only process sleeps: wait reports 137 (podman rm -f)', () => {
    const b = bundle(join(dir, 'b6'), ['sleep', '1000']);
    expect(createTo('c6', b).status).toBe(0);
    expect(oci(root, ['start', 'c6']).status).toBe(0);
    expect(oci(root, ['kill', 'c6', '9']).status).toBe(0);
    expect(JSON.parse(oci(root, ['wait', 'c6']).stdout).exitStatus).toBe(137);
    expect(oci(root, ['delete', 'c6']).status).toBe(0);
  });

  it('init is PID 1 of its namespace: unhandled TERM/INT/HUP (runtime) and TERM/KILL (inside) do nothing; KILL from the runtime ends it', () => {
    const b = bundle(join(dir, 'b7'), ['sleep', '1000']);
    expect(createTo('c7', b).status).toBe(0);
    expect(oci(root, ['start', 'c7']).status).toBe(0);
    for (const sig of ['TERM', 'INT', 'HUP']) expect(oci(root, ['kill', 'c7', sig]).status).toBe(0);
    const inside = oci(root, ['exec', 'c7', 'sh', '-c', 'kill -TERM 1; kill -INT 1; kill -KILL 1; echo sent']);
    expect(inside.stdout).toBe('sent\n');
    // Were any of those taken, the sandbox would have exited with init, and this exec would fail.
    const after = oci(root, ['exec', 'c7', 'cat', '/proc/1/cmdline']);
    expect(after.stdout).toBe('sleep\u00001000\u0000');
    expect(stateOf('c7').status).toBe('running');
    expect(oci(root, ['kill', 'c7', 'KILL']).status).toBe(0);
    expect(JSON.parse(oci(root, ['wait', 'c7']).stdout).exitStatus).toBe(137);
    expect(oci(root, ['delete', 'c7']).status).toBe(0);
  });

  it('a killed sandbox process is a stopped container, and no stub survives it', () => {
    const b = bundle(join(dir, 'b4'), ['sh', '-c', 'sleep 1000 & sleep 1000; echo done']);
    expect(createTo('c4', b).status).toBe(0);
    expect(oci(root, ['start', 'c4']).status).toBe(0);
    const pid = stateOf('c4').pid;
    // Until sh has started both sleeps (init, the background one, the foreground one).
    let ps: number[] = [];
    for (let i = 0; i < 100 && ps.length < 3; i++) ps = JSON.parse(oci(root, ['ps', '--format', 'json', 'c4']).stdout) as number[];
    expect(ps.length).toBe(3);
    const children = () =>
      spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean);
    const stubs = children();
    expect(stubs.length).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    // The sandbox is gone once a dead state says so; its stubs die with it (PR_SET_PDEATHSIG).
    let status = '';
    for (let i = 0; i < 500 && status !== 'stopped'; i++) {
      status = stateOf('c4').status;
      if (status !== 'stopped') spawnSync('sleep', ['0.01']);
    }
    expect(status).toBe('stopped');
    for (const stub of stubs) {
      for (let i = 0; i < 500 && existsSync(`/proc/${stub}`) && !readFileSync(`/proc/${stub}/status`, 'utf8').includes('State:\tZ'); i++)
        spawnSync('sleep', ['0.01']);
      expect(existsSync(`/proc/${stub}`) && !readFileSync(`/proc/${stub}/status`, 'utf8').includes('State:\tZ')).toBe(false);
    }
    expect(oci(root, ['kill', 'c4', 'KILL']).stderr).toBe('runsc: container not running\n');
    expect(oci(root, ['delete', 'c4']).status).toBe(0);
  });

  it('hooks run on the host with the state on stdin; spec writes a config; features and checkpoint answer', () => {
    const hookOut = join(dir, 'hook.out');
    const b = bundle(join(dir, 'b5'), ['true'], (s) => {
      s.hooks = {
        createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `cat > ${hookOut}.create`] }],
        poststart: [{ path: '/bin/sh', args: ['sh', '-c', `cat > ${hookOut}.poststart`] }],
        poststop: [{ path: '/bin/sh', args: ['sh', '-c', `cat > ${hookOut}.poststop`] }],
      };
    });
    expect(createTo('c5', b).status).toBe(0);
    expect(JSON.parse(readFileSync(`${hookOut}.create`, 'utf8'))).toMatchObject({ id: 'c5', status: 'created', bundle: b });
    expect(oci(root, ['start', 'c5']).status).toBe(0);
    expect(JSON.parse(readFileSync(`${hookOut}.poststart`, 'utf8'))).toMatchObject({ id: 'c5', status: 'running' });
    oci(root, ['wait', 'c5']);
    expect(oci(root, ['delete', 'c5']).status).toBe(0);
    expect(JSON.parse(readFileSync(`${hookOut}.poststop`, 'utf8'))).toMatchObject({ id: 'c5', status: 'stopped' });

    const specDir = join(dir, 'spec');
    spawnSync('mkdir', ['-p', specDir]);
    expect(oci(root, ['spec', '--bundle', specDir]).status).toBe(0);
    expect(JSON.parse(readFileSync(join(specDir, 'config.json'), 'utf8')).process.args).toEqual(['sh']);
    expect(JSON.parse(oci(root, ['features']).stdout).ociVersionMax).toBe('1.1.0');
    const cp = oci(root, ['checkpoint', 'c5']);
    expect(cp.stderr).toBe('runsc: checkpoint is not supported by tVisor\n');
    expect(cp.status).toBe(1);
  });
});
