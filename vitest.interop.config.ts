import { defineConfig } from 'vitest/config';

// Tests that need system peers (tshark, xl2tpd, chromium); scripts/install-peers.sh installs them.
export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
