// Each package installs on its own, as a user installs it: `npm pack` every
// published package, install the tarballs into an empty project with npm's
// nested strategy (no hoisting, so a package that uses a module it does not
// list cannot borrow another package's copy), then run `npx runsc do` and
// every example a package ships, which are the files its README shows.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from './helpers.js';

const PACKAGES = ['abi', 'platform', 'mm', 'vfs', 'netstack', 'kernel', 'platform-stub', 'platform-ptrace', 'platform-systrap', 'runsc'];
const REPO_PACKAGES = new URL('../../', import.meta.url).pathname;

/**
 * Every example shipped in a tarball, with the lines it must print. A new
 * example must be added here, so none ships untested. `koffi`: it uses a
 * native entry point (`@tvisor/vfs/host`, `@tvisor/netstack/tap`) whose
 * optional peer the user installs.
 */
const EXAMPLES: Record<string, { lines: string[]; koffi?: boolean }> = {
  'vfs/examples/tmpfs.mjs': { lines: ['"hello\\n" 6', 'motd 100644', 'true'] },
  'vfs/examples/fs-facade.mjs': { lines: ['8080', 'logs/ config.json', 'ENOTEMPTY -39 rmdir /app', 'hello 5', 'started'] },
  'vfs/examples/host-overlay.mjs': { lines: ['true true /usr', '15'], koffi: true },
  'netstack/examples/net-facade.mjs': {
    lines: [
      'listening on {"address":"10.0.0.1","family":"IPv4","port":7}',
      'connected from 10.0.0.2 to 10.0.0.1:7',
      'HELLO THROUGH A USERSPACE TCP/IP STACK',
      'ECONNREFUSED connect connect ECONNREFUSED 10.0.0.1:9',
    ],
  },
  'netstack/examples/two-stacks.mjs': { lines: ['client got: HELLO OVER A USERSPACE TCP/IP STACK'] },
  'platform-stub/examples/inject.mjs': { lines: ['getpid ran in the stub: true', 'host fds: 3', 'the stub sees: hello', 'comm: tvisor-stub seccomp mode: 2'] },
};

const NPM_TIMEOUT = 600_000;
let work: string;
let project: string;

/** The environment for npm in the user's project: none of the npm_* settings of an outer `npm test`. */
function userEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(testEnv()).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
}

function npm(args: string[], cwd: string): string {
  // --prefer-offline: third-party packages (koffi) come from npm's cache when it has them.
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd,
    encoding: 'utf8',
    timeout: NPM_TIMEOUT,
    env: userEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function node(args: string[]) {
  return spawnSync(process.execPath, args, { cwd: project, encoding: 'utf8', timeout: 120_000, env: userEnv() });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tvisor-packaging-'));
  const tarballs = join(work, 'tarballs');
  project = join(work, 'project');
  for (const dir of [tarballs, project]) execFileSync('mkdir', ['-p', dir]);
  for (const name of PACKAGES) npm(['pack', '--ignore-scripts', '--pack-destination', tarballs], join(REPO_PACKAGES, name));
  // The tarballs stand in for the registry: each @tvisor/* dependency, at any
  // depth, resolves to its tarball (overrides), everything else to npm.
  const deps = Object.fromEntries(PACKAGES.map((n) => [`@tvisor/${n}`, `file:${join(tarballs, `tvisor-${n}-0.1.0.tgz`)}`]));
  const overrides = Object.fromEntries(PACKAGES.map((n) => [`@tvisor/${n}`, `$@tvisor/${n}`]));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module', dependencies: deps, overrides }));
  npm(['install', '--install-strategy=nested'], project);
}, NPM_TIMEOUT);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('packages installed from their tarballs (nested, nothing hoisted)', () => {
  it('npx runsc do /bin/echo hi', () => {
    const r = spawnSync('npx', ['--no-install', 'runsc', 'do', '/bin/echo', 'hi'], { cwd: project, encoding: 'utf8', timeout: 120_000, env: userEnv() });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hi\n');
    expect(r.status).toBe(0);
  });

  it('runsc lists koffi and nothing it bundles', () => {
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules/@tvisor/runsc/package.json'), 'utf8'));
    expect(Object.keys(manifest.dependencies)).toEqual(['koffi']);
    expect(existsSync(join(project, 'node_modules/@tvisor/runsc/node_modules/@tvisor'))).toBe(false);
  });

  it('each package lists exactly the packages its shipped code imports', () => {
    const builtins = new Set(builtinModules);
    for (const name of PACKAGES) {
      const dir = join(project, 'node_modules/@tvisor', name);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const listed = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
      const used = new Set<string>();
      const dist = join(dir, 'dist');
      // Declarations count for workspace packages: mm's published types take AddressSpace from @tvisor/platform, so mm must list it
      // (runsc ships one bundle; its declarations are not an API).
      for (const f of readdirSync(dist).filter((f) => /\.c?js$|\.d\.ts$/.test(f))) {
        for (const [, spec] of readFileSync(join(dist, f), 'utf8').matchAll(/(?:\bfrom\s*|\bimport\s*\(|\brequire\()\s*["']([^"'./][^"']*)["']/g)) {
          const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
          if (f.endsWith('.d.ts') && (name === 'runsc' || !pkg.startsWith('@tvisor/') || pkg === `@tvisor/${name}`)) continue;
          if (!spec.startsWith('node:') && !builtins.has(pkg)) used.add(pkg);
        }
      }
      expect([...used].sort(), `@tvisor/${name} imports`).toEqual([...listed].sort());
    }
  });

  it('the core entries of vfs and netstack load where koffi cannot be resolved', () => {
    for (const name of ['vfs', 'netstack']) {
      const dir = join(project, 'node_modules/@tvisor', name);
      expect(existsSync(join(dir, 'node_modules/koffi')), `${name} installed koffi`).toBe(false);
      const probe = `import { createRequire } from 'node:module';
        let found = true; try { createRequire(${JSON.stringify(join(dir, 'package.json'))}).resolve('koffi'); } catch { found = false; }
        const m = await import('@tvisor/${name}');
        console.log(found, Object.keys(m).length > 10);`;
      const r = node(['--input-type=module', '-e', probe]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('false true\n');
    }
  });

  it('every example a package ships is in the table, and every README link to one ships', () => {
    const shipped: string[] = [];
    for (const name of PACKAGES) {
      const dir = join(project, 'node_modules/@tvisor', name);
      if (existsSync(join(dir, 'examples'))) for (const f of readdirSync(join(dir, 'examples'))) shipped.push(`${name}/examples/${f}`);
      const readme = readFileSync(join(dir, 'README.md'), 'utf8');
      for (const [, link] of readme.matchAll(/\]\((examples\/[^)#]+)\)/g)) expect(shipped, `${name} README links ${link}`).toContain(`${name}/${link}`);
      expect(readme, `${name} README says how it is packaged`).toMatch(/ES module|ESM/);
    }
    expect(shipped.sort()).toEqual(Object.keys(EXAMPLES).sort());
  });

  it.each(Object.entries(EXAMPLES).filter(([, e]) => !e.koffi))('%s', (file, { lines }) => {
    const r = node([join('node_modules/@tvisor', file)]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trimEnd().split('\n')).toEqual(lines);
    expect(r.status).toBe(0);
  });

  describe('after the user installs koffi for the native entry points', () => {
    beforeAll(() => {
      const version = JSON.parse(readFileSync(join(REPO_PACKAGES, 'vfs/package.json'), 'utf8')).peerDependencies.koffi;
      npm(['install', '--install-strategy=nested', `koffi@${version}`], project);
    }, NPM_TIMEOUT);

    it.each(Object.entries(EXAMPLES).filter(([, e]) => e.koffi))('%s', (file, { lines }) => {
      const r = node([join('node_modules/@tvisor', file)]);
      expect(r.stderr).toBe('');
      expect(r.stdout.trimEnd().split('\n')).toEqual(lines);
      expect(r.status).toBe(0);
    });
  });
});
