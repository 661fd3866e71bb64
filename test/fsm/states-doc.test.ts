// docs/states.md is generated from the transition tables; this test fails when it is stale.
// UPDATE_STATES=1 (scripts/gen-states.mjs) rewrites it instead.

import { readFileSync, writeFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { renderStatesDoc } from './states-doc.js';

const path = new URL('../../docs/states.md', import.meta.url);

test('docs/states.md matches the transition tables in src/fsm', () => {
  const text = renderStatesDoc();
  if (process.env.UPDATE_STATES === '1') writeFileSync(path, text);
  expect(readFileSync(path, 'utf8')).toBe(text);
  expect(text).toContain('wait_ctl_reply --> established : recv-SCCRP-ok / send-SCCCN, tunnel-up');
});
