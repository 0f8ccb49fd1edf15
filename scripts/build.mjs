#!/usr/bin/env node
// Builds the demo server, the commands and the benchmarks to dist/: TypeScript through tsc, then
// the demo's Handlebars views beside the compiled controllers that load them.
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';

const tsc = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
cpSync('src/blog/views', 'dist/src/blog/views', { recursive: true });
