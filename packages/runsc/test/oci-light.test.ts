// The OCI commands a shim calls for every container (create, start, state,
// kill, delete, ...) run from dist/light.cjs, a bundle with no kernel in it:
// a copy of runsc without the full bundle still answers them. Only `do`,
// `boot` and `help` need dist/index.cjs.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUNSC, testEnv } from './helpers.js';
import { bundle, oci, scratch } from './oci-helpers.js';

const pkg = new URL('..', import.meta.url).pathname;

describe('the light CLI bundle', () => {
  it('holds no kernel, and runsc without the full bundle still answers spec, state, list, delete and features', () => {
    const light = readFileSync(join(pkg, 'dist/light.cjs'), 'utf8');
    expect(light).not.toContain('linux64SyscallTable');
    expect(light.length).toBeLessThan(400_000);

    // An install with the light bundle alone: any attempt to load the full one fails loudly.
    const dir = scratch('light');
    mkdirSync(join(dir, 'pkg/bin'), { recursive: true });
    mkdirSync(join(dir, 'pkg/dist'), { recursive: true });
    copyFileSync(join(pkg, 'bin/runsc.js'), join(dir, 'pkg/bin/runsc.js'));
    copyFileSync(join(pkg, 'dist/light.cjs'), join(dir, 'pkg/dist/light.cjs'));
    const root = join(dir, 'state');
    const run = (args: string[]) =>
      spawnSync(process.execPath, [join(dir, 'pkg/bin/runsc.js'), '--root', root, ...args], { encoding: 'utf8', env: testEnv(), timeout: 60_000 });

    const b = bundle(join(dir, 'b'), ['true']);
    const spec = run(['spec', '--bundle', join(dir, 'pkg')]);
    expect(spec.status, spec.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'pkg/config.json'), 'utf8')).process.args).toEqual(['sh']);
    const state = run(['state', 'nosuch']);
    expect(state.stderr).toBe('runsc: container "nosuch" does not exist\n');
    expect(state.status).toBe(1);
    expect(run(['list', '-q'])).toMatchObject({ status: 0, stdout: '' });
    expect(run(['delete', '--force', 'nosuch']).status).toBe(0);
    expect(JSON.parse(run(['features']).stdout).ociVersionMax).toBe('1.1.0');
    // The bundle is valid, so create gets as far as starting the sandbox, which needs the full CLI.
    expect(run(['create', '--bundle', b, 'c1']).status).toBe(1);
    expect(run(['list', '-q']).stdout).toBe('');
    // `do` needs the kernel: the full bundle is missing here.
    const d = run(['do', 'true']);
    expect(d.status).not.toBe(0);
    expect(d.stderr).toMatch(/index\.cjs/);
  });

  it('starts, waits on, kills and deletes a container the full CLI created, with neither the full bundle nor koffi (its network namespace holds only lo)', async () => {
    const dir = scratch('light-lifecycle');
    mkdirSync(join(dir, 'pkg/bin'), { recursive: true });
    mkdirSync(join(dir, 'pkg/dist'), { recursive: true });
    copyFileSync(join(pkg, 'bin/runsc.js'), join(dir, 'pkg/bin/runsc.js'));
    copyFileSync(join(pkg, 'dist/light.cjs'), join(dir, 'pkg/dist/light.cjs'));
    // Under /var/tmp: no node_modules on the way up, so koffi cannot load from this copy.
    const lightRunsc = join(dir, 'pkg/bin/runsc.js');
    const root = join(dir, 'state');
    const light = (args: string[]) => spawnSync(process.execPath, [lightRunsc, '--root', root, ...args], { encoding: 'utf8', env: testEnv(), timeout: 60_000 });
    // A network namespace without a path, as podman --network none and runc's spec give: as root the sandbox gets its own.
    const b = bundle(join(dir, 'b'), ['sleep', '1000'], (s) => (s.linux = { namespaces: [{ type: 'pid' }, { type: 'network' }] }));
    // The sandbox keeps create's stdio as the container's: a file, so nothing waits for it to close.
    const out = openSync(join(dir, 'out'), 'w+');
    const c = spawnSync(process.execPath, [RUNSC, '--root', root, 'create', '--bundle', b, 'l1'], {
      stdio: ['ignore', out, out],
      env: testEnv(),
      timeout: 120_000,
    });
    closeSync(out);
    expect(c.status, readFileSync(join(dir, 'out'), 'utf8')).toBe(0);
    try {
      expect(JSON.parse(light(['state', 'l1']).stdout)).toMatchObject({ id: 'l1', status: 'created' });
      const s = light(['start', 'l1']);
      expect(s.stderr).toBe('');
      expect(s.status).toBe(0);
      expect(JSON.parse(light(['state', 'l1']).stdout)).toMatchObject({ status: 'running' });
      // wait answers when init has exited: the event the rest synchronises on.
      const waiting = spawn(process.execPath, [lightRunsc, '--root', root, 'wait', 'l1'], { env: testEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let waited = '';
      waiting.stdout.on('data', (d) => (waited += d.toString()));
      const waitExit = new Promise<number | null>((res) => waiting.on('exit', res));
      expect(light(['kill', 'l1', 'KILL']).status).toBe(0);
      expect(await waitExit).toBe(0);
      expect(JSON.parse(waited)).toEqual({ id: 'l1', exitStatus: 137 });
      expect(JSON.parse(light(['state', 'l1']).stdout)).toMatchObject({ status: 'stopped' });
      const d = light(['delete', 'l1']);
      expect(d.stderr).toBe('');
      expect(d.status).toBe(0);
      expect(light(['state', 'l1']).stderr).toBe('runsc: container "l1" does not exist\n');
    } finally {
      oci(root, ['delete', '--force', 'l1']);
    }
  }, 180_000);

  it('answers NEEDS_KERNEL for the commands that run a kernel, so bin/runsc.js runs the full CLI instead', async () => {
    const light = createRequire(import.meta.url)(join(pkg, 'dist/light.cjs')) as {
      main(argv: string[], io: { stdout(s: string): void; stderr(s: string): void }): Promise<number>;
      NEEDS_KERNEL: number;
    };
    const io = { stdout: () => {}, stderr: () => {} };
    expect(await light.main(['help', 'syscalls'], io)).toBe(light.NEEDS_KERNEL);
    expect(await light.main(['do', 'true'], io)).toBe(light.NEEDS_KERNEL);
    expect(await light.main(['--version'], io)).toBe(0);
  });

  it('starts Node without NODE_EXTRA_CA_CERTS (parsed at every start, never used) and gives it back to what runs inside', () => {
    const dir = scratch('light-env');
    // A missing file: Node says so on stderr at start, whenever it is given the variable.
    const env = { ...testEnv(), NODE_EXTRA_CA_CERTS: join(dir, 'no-such-bundle.pem') };
    // Run as a client runs it: the bin itself, through its #! line.
    const d = spawnSync(RUNSC, ['do', 'sh', '-c', 'echo "$NODE_EXTRA_CA_CERTS"'], { encoding: 'utf8', env, timeout: 60_000 });
    expect(d.stderr).not.toMatch(/extra certs/);
    expect(d.stdout).toBe(`${env.NODE_EXTRA_CA_CERTS}\n`);
    expect(d.status).toBe(0);

    // create's sandbox process is started without it as well.
    const root = join(dir, 'state');
    const b = bundle(join(dir, 'b'), ['sleep', '60']);
    const out = openSync(join(dir, 'out'), 'w+');
    const c = spawnSync(RUNSC, ['--root', root, 'create', '--bundle', b, 'env1'], { stdio: ['ignore', out, out], env, timeout: 120_000 });
    closeSync(out);
    try {
      expect(c.status, readFileSync(join(dir, 'out'), 'utf8')).toBe(0);
      const { pid } = JSON.parse(oci(root, ['state', 'env1']).stdout) as { pid: number };
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      expect(environ.filter((e) => e.startsWith('NODE_EXTRA_CA_CERTS='))).toEqual([]);
      expect(readFileSync(join(dir, 'out'), 'utf8')).not.toMatch(/extra certs/);
    } finally {
      oci(root, ['delete', '--force', 'env1']);
    }
  });
});
