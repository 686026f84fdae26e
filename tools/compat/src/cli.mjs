#!/usr/bin/env node
// Entry point runnable with plain `node`: installs the TypeScript hooks, then
// hands over to src/main.ts. Usage: node src/cli.mjs [--filter S] [--json]
import { register } from 'node:module';

register('./ts-loader.mjs', import.meta.url);
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
