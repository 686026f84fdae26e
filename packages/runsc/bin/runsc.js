#!/usr/bin/env node
// Runs the CLI bundle (dist/index.cjs) through V8's code cache. Compiling
// ~800 KB of JavaScript, and the functions a run then compiles lazily, is a
// large part of start-up; the cache, written next to the bundle at the end
// of a run that found none (when that directory is writable), skips it. V8
// checks the cache against the source and its own version and flags, and a
// rejected cache is simply rewritten. It is never read from anywhere else.
import Module from 'node:module';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

const bundle = new URL('../dist/index.cjs', import.meta.url).pathname;
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

process.exitCode = await cli.exports.main(process.argv.slice(2));
