#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS TVISOR_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} node
// Runs a CLI bundle through V8's code cache. Two bundles: dist/light.cjs,
// the OCI commands a shim calls many times (create, start, state, kill,
// delete, ...) without the kernel, and dist/index.cjs, the whole CLI, for
// `do`, `boot` (the sandbox) and `help`, or when the light one answers that
// it needs the kernel. Compiling JavaScript, and the functions a run then
// compiles lazily, is a large part of start-up; the cache, written next to
// the bundle at the end of a run that found none (when that directory is
// writable), skips it. V8 checks the cache against the source and its own
// version and flags, and a rejected cache is simply rewritten. It is never
// read from anywhere else.
//
// CommonJS (bin/package.json says so), not an ES module: Node sets up its
// ES module loader only for an ESM entry, ~14 ms of CPU at every start here
// (an empty .cjs 80 ms against an empty .mjs 94, mean of 10).
'use strict';
// Builtins through process.getBuiltinModule (Node >= 20.16), require before it, as src/builtin-module.ts does.
const builtin = typeof process.getBuiltinModule === 'function' ? (name) => process.getBuiltinModule(name) : module.require.bind(module);
const Module = builtin('node:module');
const { readFileSync, renameSync, writeFileSync } = builtin('node:fs');
const { dirname, join } = builtin('node:path');
const { Script } = builtin('node:vm');

// The first line starts Node without NODE_EXTRA_CA_CERTS: Node reads and
// parses every certificate of that file before running a line of JavaScript
// (measured: 130 -> 80 ms of CPU for an empty script here, where it names
// the system's bundle), and runsc makes no TLS connection. The value is put
// back below, so hooks and `runsc do`'s command see the environment they
// were given; runsc children (lifecycle.ts) are started without it again.
if (process.env.TVISOR_EXTRA_CA_CERTS !== undefined) {
  if (process.env.TVISOR_EXTRA_CA_CERTS !== '') process.env.NODE_EXTRA_CA_CERTS = process.env.TVISOR_EXTRA_CA_CERTS;
  delete process.env.TVISOR_EXTRA_CA_CERTS;
}

/** Loads dist/NAME.cjs through its code cache; returns its exports. */
function load(name) {
  const bundle = join(__dirname, `../dist/${name}.cjs`);
  const cacheFile = `${bundle}.v8cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // First run, or an unwritable install: compile from source.
  }
  const script = new Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle, cachedData });
  const cli = { exports: {} };
  script.runInThisContext()(cli.exports, Module.createRequire(bundle), cli, bundle, dirname(bundle));
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        // Not writable: the next run compiles again.
      }
    });
  }
  return cli.exports;
}

async function main(argv) {
  // A hint only: any word that may be a kernel subcommand picks the full CLI,
  // which runs everything; the light one says when it needed the kernel.
  const full = argv.some((a) => a === 'do' || a === 'boot' || a === 'help');
  if (!full) {
    const light = load('light');
    const code = await light.main(argv);
    if (code !== light.NEEDS_KERNEL) return code;
  }
  return load('index').main(argv);
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
