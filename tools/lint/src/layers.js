// The layer list of README's architecture, as nx tags and depConstraints:
//
//   abi <- platform <- mm;  abi <- vfs, netstack;  then kernel, platform-* <- runsc <- tools
//   abi, platform, mm <- platform-stub <- platform-ptrace, platform-systrap
//
// platform-stub (layer:platform-stub) is what the stub platforms share (a
// platform may not import another platform): below them, above mm.
//
// mm implements memory for an AddressSpace, the platform seam's interface, so
// it is the one core package that may import @tvisor/platform (layer:mm).
//
// Nothing imports upward or sideways within a row: a platform-* package never
// imports @tvisor/kernel (nor another platform), mm/vfs/netstack never import
// each other. Tags live in each package.json (`nx.tags`); `fallbackTags`
// names the packages the layer list plans that a tree may not hold yet.

/** @type {{ sourceTag: string, onlyDependOnLibsWithTags: string[] }[]} */
export const depConstraints = [
  { sourceTag: 'layer:abi', onlyDependOnLibsWithTags: ['layer:abi'] },
  { sourceTag: 'layer:platform', onlyDependOnLibsWithTags: ['layer:abi'] },
  { sourceTag: 'layer:core', onlyDependOnLibsWithTags: ['layer:abi'] },
  { sourceTag: 'layer:mm', onlyDependOnLibsWithTags: ['layer:abi', 'layer:platform'] },
  { sourceTag: 'layer:kernel', onlyDependOnLibsWithTags: ['layer:abi', 'layer:platform', 'layer:core', 'layer:mm'] },
  { sourceTag: 'layer:platform-stub', onlyDependOnLibsWithTags: ['layer:abi', 'layer:platform', 'layer:mm'] },
  { sourceTag: 'layer:platform-impl', onlyDependOnLibsWithTags: ['layer:abi', 'layer:platform', 'layer:core', 'layer:mm', 'layer:platform-stub'] },
  { sourceTag: 'layer:runsc', onlyDependOnLibsWithTags: ['layer:abi', 'layer:platform', 'layer:core', 'layer:mm', 'layer:kernel', 'layer:platform-impl'] },
  { sourceTag: 'layer:tool', onlyDependOnLibsWithTags: ['*'] },
];

/** Tags of packages in the layer list that may not exist in this tree yet; a package.json's own nx.tags win. */
export const fallbackTags = {
  '@tvisor/platform': ['layer:platform', 'env:portable'],
  '@tvisor/platform-systrap': ['layer:platform-impl'],
  '@tvisor/platform-kvm': ['layer:platform-impl'],
};

/**
 * Host zones of the `env:portable` packages (paths under the package root):
 * the files behind their Node-only entry points, which alone may import
 * Node builtins and koffi. `src/native` is a host zone everywhere.
 */
export const hostZones = {
  '@tvisor/vfs': ['src/host.ts', 'src/fs/host', 'src/fs.ts', 'src/node-fs'],
  '@tvisor/netstack': ['src/tap.ts', 'src/net.ts', 'src/node-net'],
};
