// Captures what the `debug` package writes, one formatted line per call (as its Node log would
// print it), with every namespace off at the start; restores the log and namespaces afterwards.
// Call in a test file's top level: it registers beforeEach/afterEach.

import { format } from 'node:util';
import createDebug from 'debug';
import { afterEach, beforeEach } from 'vitest';

/** The lines of the current test (a fresh array per test). */
export function captureDebugLines(): { readonly lines: () => string[] } {
  let lines: string[] = [];
  let savedLog: typeof createDebug.log;
  let savedNamespaces: string;
  beforeEach(() => {
    lines = [];
    savedLog = createDebug.log;
    savedNamespaces = createDebug.disable();
    createDebug.log = (...args: unknown[]) => {
      lines.push(format(...args)); // what debug's Node log does with its arguments
    };
  });
  afterEach(() => {
    createDebug.log = savedLog;
    if (savedNamespaces === '') createDebug.disable();
    else createDebug.enable(savedNamespaces);
  });
  return { lines: () => lines };
}
