import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The guides (docs/guides/code) import the package by name, as users do; map those names to the
// sources (tsconfig.json `paths` does the same for the typechecker).
const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^l2tp-core$/, replacement: src('index.ts') },
      { find: /^l2tp-core\/node$/, replacement: src('node/index.ts') },
      { find: /^l2tp-core\/testing$/, replacement: src('testing/index.ts') },
      { find: /^l2tp-core\/arbitraries$/, replacement: src('arbitraries/index.ts') },
      { find: /^l2tp-core\/ppp$/, replacement: src('ppp/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/interop/**'],
    // Seeded property runs take 1–5 s on a quiet 2-core machine; the default 5 s is too tight when
    // the machine is loaded. Nothing here waits on real time to detect a hang.
    testTimeout: 30_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['src/**/*.d.ts'],
      reporter: ['text', 'json-summary'],
    },
  },
});
