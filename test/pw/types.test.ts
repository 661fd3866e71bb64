// The pseudowire-type table (src/pw/types.ts): wire values and sublayer rules per RFC.

import { describe, expect, test } from 'vitest';
import { L2SpecificSublayer, PseudowireType } from '../../src/constants.js';
import { PW_FRAMING, pwFraming } from '../../src/pw/index.js';

describe('PW_FRAMING', () => {
  test('wire values and families', () => {
    expect(
      [...PW_FRAMING.values()].map((r) => [
        r.type,
        r.family,
        r.sequencedSublayer,
        r.sublayerRequired,
      ]),
    ).toEqual([
      [0x0001, 'frame-relay', 1, false], // RFC 4591 §4.2: Default sublayer
      [0x0002, 'atm-aal5', 2, true], // RFC 4454 §4: ATM sublayer REQUIRED
      [0x0003, 'atm-cell', 2, false],
      [0x0004, 'ethernet', 1, false], // RFC 4719
      [0x0005, 'ethernet', 1, false],
      [0x0006, 'hdlc', 1, false], // RFC 4349 §4.2
      [0x0007, 'ppp', 1, false],
      [0x0009, 'atm-cell', 2, false],
      [0x000a, 'atm-cell', 2, false],
      [0x000b, 'ip', 1, false],
    ]);
  });

  test('lookup', () => {
    expect(pwFraming(PseudowireType.AtmAal5Sdu)?.sequencedSublayer).toBe(L2SpecificSublayer.Atm);
    expect(pwFraming(PseudowireType.DocsisMpt)).toBeUndefined();
    expect(pwFraming(0x1234)).toBeUndefined();
  });
});
