// parseControl's fast path (toTypedFromWire) must give exactly what the general path gives —
// the raw list through toTyped — or step aside (undefined) so the general path can answer.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { toTyped, toTypedFromWire } from '../../src/avp/messages.js';
import { decodeAvps } from '../../src/avp/raw.js';
import { parseControl } from '../../src/codec/control.js';
import { decodeControlHeader } from '../../src/codec/header.js';
import { bytesOf, PROL2TP_V3_SCCRQ, XL2TPD_MESSAGES } from '../fixtures/xl2tpd.js';

function bothPaths(bytes: Uint8Array) {
  const { header, avpStart, end } = decodeControlHeader(bytes, 'udp');
  const fast = toTypedFromWire(bytes, avpStart, end, header.version);
  let general: unknown;
  try {
    general = toTyped(decodeAvps(bytes, avpStart, end), header.version);
  } catch (err) {
    general = err;
  }
  return { fast, general };
}

describe('toTypedFromWire (parseControl fast path)', () => {
  it.each([...XL2TPD_MESSAGES, PROL2TP_V3_SCCRQ].map((m, i) => [`${i} ${m.name}`, m] as const))(
    'agrees with toTyped on real capture %s',
    (_, m) => {
      const bytes = bytesOf(m);
      const { fast, general } = bothPaths(bytes);
      expect(fast).toBeDefined();
      expect(fast).toEqual(general);
      // The lazily built raw list is the same as a direct decode.
      const parsed = parseControl(bytes);
      const { avpStart, end } = decodeControlHeader(bytes, 'udp');
      expect(parsed.avps).toEqual(decodeAvps(bytes, avpStart, end));
    },
  );

  test.prop(
    [fc.nat({ max: XL2TPD_MESSAGES.length - 1 }), fc.nat(), fc.integer({ min: 0, max: 7 })],
    {
      numRuns: 2000,
    },
  )('after a bit flip, either agrees with toTyped or steps aside', (which, byteIndex, bit) => {
    const bytes = Uint8Array.from(
      bytesOf(XL2TPD_MESSAGES[which] as (typeof XL2TPD_MESSAGES)[number]),
    );
    const i = 12 + (byteIndex % Math.max(1, bytes.length - 12));
    if (i >= bytes.length) return;
    bytes[i] = (bytes[i] as number) ^ (1 << bit);
    let decoded: ReturnType<typeof bothPaths>;
    try {
      decoded = bothPaths(bytes);
    } catch {
      return; // the raw walk itself failed: parseControl throws DecodeError either way
    }
    if (decoded.fast !== undefined) expect(decoded.fast).toEqual(decoded.general);
  });
});
