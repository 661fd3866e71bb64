#!/usr/bin/env node
// Regenerates docs/states.md from the transition tables in src/fsm. The renderer is TypeScript
// (test/fsm/states-doc.ts), so this runs the doc test under vitest with UPDATE_STATES=1, which
// writes the file before comparing. Usage: node scripts/gen-states.mjs
import { spawnSync } from 'node:child_process';

const r = spawnSync('npx', ['vitest', 'run', 'test/fsm/states-doc.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, UPDATE_STATES: '1' },
});
process.exit(r.status ?? 1);
