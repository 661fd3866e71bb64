// The l2tp:control lines of a tunnel and a call being set up and a datagram dropped: each line
// carries exactly the arguments its call gave (the engine logs without a rest array, and debug
// would print a missing argument as "undefined").

import createDebug from 'debug';
import { expect, test } from 'vitest';
import { captureDebugLines } from '../helpers/debug-lines.js';
import { EnginePair } from './pair.js';

const debugLines = captureDebugLines();

test('control lines: setup, a call, a drop; no "undefined" and no stray arguments', () => {
  createDebug.enable('l2tp:control');
  const pair = new EnginePair();
  const lac = pair.connect();
  pair.drive();
  pair.openSession(pair.a);
  pair.drive();
  lac.handleDatagram(Uint8Array.of(0xc8, 0x02, 0, 5), pair.now); // a truncated control header
  const text = debugLines.lines().join('\n');
  // Each line ends where its format ends: a stray argument would follow it.
  expect(text).toMatch(/l2tp:control tunnel \d+: tx SCCRQ Ns 0 Nr 0$/m); // four arguments
  expect(text).toMatch(/: idle → wait-ctl-reply on open$/m); // three
  expect(text).toMatch(/: session \d+: idle → wait-tunnel on open$/m); // four, from the calls
  expect(text).toMatch(/: drop: .*truncated.*$/im); // one
  expect(text).not.toContain('undefined');
});
