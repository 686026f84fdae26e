#!/usr/bin/env node
// Entry point runnable with plain `node`: installs the TypeScript hooks, then
// hands over to src/suite-gate-main.ts. Usage: node src/suite-gate.mjs --help
import { register } from 'node:module';

register('./ts-loader.mjs', import.meta.url);
const { gateMain } = await import('./suite-gate-main.ts');
process.exitCode = gateMain(process.argv.slice(2));
