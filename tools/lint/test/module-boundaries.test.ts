// The lint rules proven on fixtures: each deliberate violation of the layer
// list or of the koffi rule fails ESLint with the repository's own config,
// and the allowed shape of the same import passes. Fixtures are linted as if
// they were files at the given path (lintText's filePath), so nothing in the
// tree is touched.
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const eslint = new ESLint({ cwd: root });

/** Rule ids ESLint reports for `code` placed at `path` (relative to the repository root). */
async function violations(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${path}` });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('module boundaries (the layer list)', () => {
  it('a platform importing @tvisor/kernel fails', async () => {
    const out = await violations('packages/platform-ptrace/src/fixture.ts', "export { Kernel } from '@tvisor/kernel';\n");
    expect(out).toEqual([expect.stringMatching(/^tvisor\/module-boundaries: @tvisor\/platform-ptrace .* may not import @tvisor\/kernel/)]);
  });

  it('platform-kvm (planned, only a package.json so far) importing the kernel fails', async () => {
    const out = await violations('packages/platform-kvm/src/fixture.ts', "import type { Kernel } from '@tvisor/kernel';\nexport type K = Kernel;\n");
    expect(out).toEqual([expect.stringMatching(/may not import @tvisor\/kernel/)]);
  });

  it('imports downward pass: kernel from abi, mm, vfs, netstack; platform from abi and mm', async () => {
    const kernel = "export * from '@tvisor/abi';\nexport * from '@tvisor/mm';\nexport * from '@tvisor/vfs';\nexport * from '@tvisor/netstack';\n";
    expect(await violations('packages/kernel/src/fixture.ts', kernel)).toEqual([]);
    expect(await violations('packages/platform-ptrace/src/fixture.ts', "export * from '@tvisor/abi';\nexport * from '@tvisor/mm';\n")).toEqual([]);
  });

  it('upward and sideways imports fail: abi to mm, mm to vfs, kernel to runsc, kernel to a platform', async () => {
    expect(await violations('packages/abi/src/fixture.ts', "export * from '@tvisor/mm';\n")).toHaveLength(1);
    expect(await violations('packages/mm/src/fixture.ts', "export * from '@tvisor/vfs';\n")).toHaveLength(1);
    expect(await violations('packages/kernel/src/fixture.ts', "export * from '@tvisor/runsc';\n")).toHaveLength(1);
    expect(await violations('packages/kernel/test/fixture.test.ts', "export * from '@tvisor/platform-ptrace';\n")).toHaveLength(1);
  });

  it('platform-stub sits between mm and the stub platforms: they import it, it imports neither them nor the kernel', async () => {
    for (const platform of ['platform-ptrace', 'platform-systrap']) {
      expect(await violations(`packages/${platform}/src/fixture.ts`, "export * from '@tvisor/platform-stub';\n")).toEqual([]);
    }
    const down = "export * from '@tvisor/abi';\nexport * from '@tvisor/platform';\nexport * from '@tvisor/mm';\n";
    expect(await violations('packages/platform-stub/src/fixture.ts', down)).toEqual([]);
    expect(await violations('packages/platform-stub/src/fixture.ts', "export * from '@tvisor/platform-ptrace';\n")).toHaveLength(1);
    expect(await violations('packages/platform-stub/src/fixture.ts', "export * from '@tvisor/kernel';\n")).toHaveLength(1);
    expect(await violations('packages/kernel/src/fixture.ts', "export * from '@tvisor/platform-stub';\n")).toHaveLength(1);
  });

  it('a dynamic import and a type-only import are checked like static ones', async () => {
    expect(await violations('packages/vfs/src/fixture.ts', "export const k = () => import('@tvisor/kernel');\n")).toHaveLength(1);
    expect(await violations('packages/vfs/src/fixture.ts', "import type { Kernel } from '@tvisor/kernel';\nexport type K = Kernel;\n")).toHaveLength(1);
  });

  it('a relative import into another package fails', async () => {
    const out = await violations('packages/runsc/src/fixture.ts', "export * from '../../kernel/src/index.js';\n");
    expect(out).toEqual([expect.stringMatching(/Import @tvisor\/kernel by its package name/)]);
  });
});

describe('koffi lives only in native/', () => {
  it('koffi outside native/ fails, in src and in tests', async () => {
    for (const path of ['packages/kernel/src/fixture.ts', 'packages/vfs/test/fixture.test.ts']) {
      expect(await violations(path, "import koffi from 'koffi';\nexport const lib = koffi.load('libc.so.6');\n")).toEqual([
        expect.stringMatching(/^no-restricted-imports: .*koffi calls live only in a package's src\/native\//),
      ]);
    }
  });

  it('koffi inside native/ passes', async () => {
    expect(await violations('packages/kernel/src/native/fixture.ts', "import koffi from 'koffi';\nexport const lib = koffi.load('libc.so.6');\n")).toEqual([]);
  });
});

describe('vfs and netstack core stay platform-neutral', () => {
  it('a Node builtin in vfs core fails; in its host zone and in tests it passes', async () => {
    const code = "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n";
    expect(await violations('packages/vfs/src/fixture.ts', code)).toEqual([expect.stringMatching(/platform-neutral outside its host entry points/)]);
    expect(await violations('packages/netstack/src/tcp/fixture.ts', "import net from 'net';\nexport default net;\n")).toHaveLength(1);
    expect(await violations('packages/vfs/src/fs/host/fixture.ts', code)).toEqual([]);
    expect(await violations('packages/netstack/src/tap.ts', code)).toEqual([]);
    expect(await violations('packages/vfs/test/fixture.test.ts', code)).toEqual([]);
  });

  it('a host zone naming a file (src/fs.ts) covers that file, not the folder of the same name (src/fs/)', async () => {
    const code = "import { Buffer } from 'node:buffer';\nexport const b = Buffer;\n";
    expect(await violations('packages/vfs/src/fs.ts', code)).toEqual([]);
    expect(await violations('packages/vfs/src/fs/tmpfs/fixture.ts', code)).toHaveLength(1);
  });

  it('vfs core reaching into its host zone by a relative import fails', async () => {
    const out = await violations('packages/vfs/src/fixture.ts', "export { HostFilesystem } from './fs/host/host-filesystem.js';\n");
    expect(out).toEqual([expect.stringMatching(/belongs behind/)]);
  });

  it('kernel, not platform-neutral, may use Node builtins', async () => {
    expect(await violations('packages/kernel/src/fixture.ts', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n")).toEqual([]);
  });
});
