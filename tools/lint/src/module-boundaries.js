// tvisor/module-boundaries: the layer rules of README's architecture, read
// from nx project tags, the way @nx/enforce-module-boundaries reads them (that
// plugin has no release matching our nx, so this is the equivalent rule).
//
// A project's tags come from `nx.tags` in its package.json; `fallbackTags`
// (rule option) covers packages named by the layer list that a tree may not
// have yet. A file may import another workspace project only by its package
// name and only if every depConstraint whose sourceTag the importer carries
// allows one of the target's tags. Projects tagged `env:portable` keep Node
// builtins and koffi behind their host zones (native/, host entry points).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';

const projectCache = new Map();
const nameCache = new Map();

/** The nearest directory holding a package.json, from `dir` upwards; null at the filesystem root. */
function projectRootOf(dir) {
  if (projectCache.has(dir)) return projectCache.get(dir);
  let root = null;
  if (existsSync(join(dir, 'package.json'))) root = dir;
  else if (dirname(dir) !== dir) root = projectRootOf(dirname(dir));
  projectCache.set(dir, root);
  return root;
}

function readProject(root) {
  if (nameCache.has(root)) return nameCache.get(root);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const project = { root, name: pkg.name, tags: pkg.nx?.tags ?? null, workspaces: pkg.workspaces };
  nameCache.set(root, project);
  return project;
}

/** Every workspace project of the repository that holds `root`, by package name. */
function workspaceProjects(workspaceRoot) {
  const key = `ws:${workspaceRoot}`;
  if (nameCache.has(key)) return nameCache.get(key);
  const byName = new Map();
  for (const pattern of readProject(workspaceRoot).workspaces ?? []) {
    // Only the `folder/*` form is used in this repository.
    const base = join(workspaceRoot, pattern.replace(/\/\*$/, ''));
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base)) {
      const dir = join(base, entry);
      if (existsSync(join(dir, 'package.json'))) {
        const p = readProject(dir);
        byName.set(p.name, p);
      }
    }
  }
  nameCache.set(key, byName);
  return byName;
}

const nodeBuiltins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** `spec` names a workspace package (`@tvisor/kernel`, `@tvisor/vfs/host`): its package name, else null. */
function packageNameOf(spec) {
  const m = /^(@[^/]+\/[^/]+|[^./@][^/]*)/.exec(spec);
  return m ? m[1] : null;
}

/** `file` (relative to its project root, no extension) lies in one of `zones` (path prefixes). */
function inZone(rel, zones) {
  const noExt = rel.replace(/\.[cm]?[jt]s$/, '');
  return zones.some((z) => {
    // A zone naming a file (src/fs.ts) is that file only; a folder (src/fs/host) is everything below it.
    if (/\.[cm]?[jt]s$/.test(z)) return noExt === z.replace(/\.[cm]?[jt]s$/, '');
    const zone = z.replace(/\/$/, '');
    return noExt === zone || noExt.startsWith(`${zone}/`);
  });
}

const toPosix = (p) => p.split(sep).join('/');

export const moduleBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'Workspace imports follow the layer list (nx project tags and depConstraints).' },
    schema: [
      {
        type: 'object',
        properties: {
          depConstraints: { type: 'array' },
          fallbackTags: { type: 'object' },
          hostZones: { type: 'object' },
        },
        additionalProperties: false,
      },
    ],
    messages: {
      untagged: 'Project {{project}} has no nx.tags in its package.json: give it its layer tag.',
      layer: '{{source}} ({{sourceTags}}) may not import {{target}} ({{targetTags}}): the layer list allows only {{allowed}}.',
      banned: '{{source}} ({{sourceTags}}) may not import {{target}} ({{targetTags}}).',
      relative: 'Import {{target}} by its package name, not by a relative path into another project.',
      portable: '{{source}} is platform-neutral outside its host entry points: "{{spec}}" belongs behind {{zones}}.',
    },
  },
  create(context) {
    const opts = context.options[0] ?? {};
    const constraints = opts.depConstraints ?? [];
    const fallbackTags = opts.fallbackTags ?? {};
    const hostZones = opts.hostZones ?? {};
    const filename = context.filename;
    const root = projectRootOf(dirname(filename));
    if (!root) return {};
    const source = readProject(root);
    const workspaceRoot = findWorkspaceRoot(root);
    if (!workspaceRoot || workspaceRoot === root) return {};
    const projects = workspaceProjects(workspaceRoot);
    const tagsOf = (p) => p.tags ?? fallbackTags[p.name] ?? null;
    const sourceTags = tagsOf(source);
    const relFile = toPosix(relative(root, filename));
    const isTest = relFile.startsWith('test/') || /\.test\.[cm]?[jt]s$/.test(relFile);
    const zones = sourceTags?.includes('env:portable') ? (hostZones[source.name] ?? []).concat(['src/native']) : null;
    // Tests, tools and config files run on Node; only src/ outside the host zones must stay neutral.
    const inHostZone = zones ? isTest || !relFile.startsWith('src/') || inZone(relFile, zones) : true;

    function check(node, spec) {
      if (typeof spec !== 'string') return;
      if (!sourceTags) {
        context.report({ node, messageId: 'untagged', data: { project: source.name } });
        return;
      }
      if (spec.startsWith('.')) {
        const target = resolve(dirname(filename), spec);
        const targetRoot = projectRootOf(dirname(target));
        if (targetRoot !== root && targetRoot && targetRoot !== workspaceRoot) {
          context.report({ node, messageId: 'relative', data: { target: readProject(targetRoot).name } });
        } else if (!inHostZone && inZone(toPosix(relative(root, target)), zones)) {
          context.report({ node, messageId: 'portable', data: { source: source.name, spec, zones: zones.join(', ') } });
        }
        return;
      }
      if (!inHostZone && (nodeBuiltins.has(spec) || spec === 'koffi' || spec.startsWith('koffi/'))) {
        context.report({ node, messageId: 'portable', data: { source: source.name, spec, zones: zones.join(', ') } });
        return;
      }
      const name = packageNameOf(spec);
      const target = name && projects.get(name);
      if (!target || target.name === source.name) return;
      const targetTags = tagsOf(target) ?? [];
      for (const c of constraints) {
        if (!sourceTags.includes(c.sourceTag)) continue;
        const data = { source: source.name, sourceTags: sourceTags.join(' '), target: target.name, targetTags: targetTags.join(' ') || 'untagged' };
        if (c.onlyDependOnLibsWithTags && !c.onlyDependOnLibsWithTags.some((t) => t === '*' || targetTags.includes(t))) {
          context.report({ node, messageId: 'layer', data: { ...data, allowed: c.onlyDependOnLibsWithTags.join(', ') } });
          return;
        }
        if (c.notDependOnLibsWithTags?.some((t) => targetTags.includes(t))) {
          context.report({ node, messageId: 'banned', data });
          return;
        }
      }
    }
    return {
      ImportDeclaration: (n) => check(n.source, n.source.value),
      ExportNamedDeclaration: (n) => n.source && check(n.source, n.source.value),
      ExportAllDeclaration: (n) => check(n.source, n.source.value),
      ImportExpression: (n) => n.source.type === 'Literal' && check(n.source, n.source.value),
      TSImportType: (n) => n.argument?.literal && check(n.argument, n.argument.literal.value),
    };
  },
};

/** The directory whose package.json declares `workspaces`, from `dir` upwards. */
function findWorkspaceRoot(dir) {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json')) && readProject(d).workspaces) return d;
    if (dirname(d) === d) return null;
  }
}

export default { rules: { 'module-boundaries': moduleBoundaries } };
