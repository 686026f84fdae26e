#!/usr/bin/env node
// Prints the largest import cycle (strongly connected component of the
// import graph, type-only imports included) among each package's sources.
// Usage: npm run cycles [-- PACKAGE_DIR...]   e.g. npm run cycles -- packages/kernel
// Exits 1 when a limit is given (CYCLE_LIMIT=N) and some cycle is larger.
import { parseDependencyTree } from 'dpdm';
import { readdirSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const dirs =
  args.length > 0
    ? args
    : ['packages', 'tools'].flatMap((d) =>
        readdirSync(join(root, d))
          .map((p) => join(d, p))
          .filter((p) => existsSync(join(root, p, 'src'))),
      );
const limit = process.env.CYCLE_LIMIT === undefined ? undefined : Number(process.env.CYCLE_LIMIT);

/** Tarjan's algorithm: the strongly connected components of `graph`. */
function components(graph) {
  const index = new Map(),
    low = new Map(),
    onStack = new Set(),
    stack = [],
    out = [];
  let next = 0;
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      out.push(scc);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

let failed = false;
for (const dir of dirs) {
  const src = join(root, dir, 'src');
  const tree = await parseDependencyTree('**/*.ts', {
    context: src,
    cwd: src,
    tsconfig: join(root, dir, 'tsconfig.json'),
    exclude: /node_modules|\.test\.ts$|\/testing\//,
    transform: false,
  });
  const graph = new Map();
  for (const [file, deps] of Object.entries(tree)) {
    if (!file.startsWith(src) && !resolve(src, file).startsWith(src)) continue;
    const from = resolve(src, file);
    graph.set(
      from,
      (deps ?? [])
        .filter((d) => d.id !== null)
        .map((d) => resolve(src, d.id))
        .filter((id) => id.startsWith(src + '/')),
    );
  }
  const sccs = components(graph)
    .filter((c) => c.length > 1)
    .sort((a, b) => b.length - a.length);
  const largest = sccs[0] ?? [];
  console.log(`${dir}: largest import cycle ${largest.length} files (${sccs.length} cycles)`);
  for (const f of largest.map((f) => relative(src, f)).sort()) console.log(`  ${f}`);
  if (limit !== undefined && largest.length > limit) failed = true;
}
process.exit(failed ? 1 : 0);
