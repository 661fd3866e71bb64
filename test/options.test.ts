/**
 * src/options.ts: the hidden-value padding option (RFC 2661 §4.3) is resolved and validated like
 * the others. The other options are exercised through the engine tests.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { nodeCrypto } from '../src/node/crypto.js';
import { resolveOptions, type TunnelEngineOptions } from '../src/options.js';

const base: TunnelEngineOptions = {
  mode: 'lac',
  hostName: 'lac',
  randomBytes: (n) => new Uint8Array(n).fill(7),
  secret: 's',
  crypto: nodeCrypto,
  hiddenFields: ['assignedSessionId'],
};

describe('hiddenValueMinLength', () => {
  it('defaults to 0 (no padding) and keeps a value in 0…1017', () => {
    expect(resolveOptions(base).hiddenValueMinLength).toBe(0);
    expect(resolveOptions({ ...base, hiddenValueMinLength: 16 }).hiddenValueMinLength).toBe(16);
    expect(resolveOptions({ ...base, hiddenValueMinLength: 1017 }).hiddenValueMinLength).toBe(1017);
  });

  it.each([-1, 1018, 8.5, Number.NaN, '8'])('refuses %j with a UsageError', (bad) => {
    expect(() => resolveOptions({ ...base, hiddenValueMinLength: bad as number })).toThrow(
      UsageError,
    );
  });
});
