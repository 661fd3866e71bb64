// tunnelZeroKey walks a Tunnel-ID-0 message without objects; it must name the same tunnel (or
// none) as decoding the message into its AVP list does: the first Assigned Tunnel ID AVP, else
// the first Assigned Control Connection ID AVP, and "SCCRQ" from an unhidden first Message Type.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/avp/describe.js';
import { findAvp, messageTypeOf } from '../../src/avp/raw.js';
import { decodeControl } from '../../src/codec/control.js';
import { tunnelZeroKey } from '../../src/codec/control-check.js';
import { type Encapsulation, encodeControlHeader } from '../../src/codec/header.js';
import { AvpType, MessageType } from '../../src/constants.js';
import { L2tpError } from '../../src/errors.js';
import { bytesOf, PROL2TP_V3_SCCRQ, XL2TPD_MESSAGES } from '../fixtures/xl2tpd.js';
import { datagram, mutated } from './arbitraries.js';

// What the Endpoint computed before the walker: the decoded list, searched.
function byDecoding(bytes: Uint8Array, encap: Encapsulation) {
  try {
    const avps = decodeControl(bytes, { encap }).avps;
    const avp =
      findAvp(avps, AvpType.AssignedTunnelId) ?? findAvp(avps, AvpType.AssignedControlConnectionId);
    if (avp === undefined) return undefined;
    const sccrq = messageTypeOf(avps) === MessageType.SCCRQ;
    return { id: `192.0.2.7|1701|${toHex(avp.value, 64)}`, sccrq };
  } catch (err) {
    if (err instanceof L2tpError) return undefined;
    throw err;
  }
}

interface AvpSample {
  flags: number; // M, H and the 4 reserved bits (high 6 bits of the first octet)
  vendorId: number;
  attributeType: number;
  value: Uint8Array;
}

const avpSample: fc.Arbitrary<AvpSample> = fc.record({
  flags: fc.oneof(
    fc.constantFrom(0x80, 0xc0, 0),
    fc.nat(0x3f).map((b) => b << 2),
  ),
  vendorId: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })),
  attributeType: fc.oneof(
    fc.constantFrom(0, AvpType.AssignedTunnelId, AvpType.AssignedControlConnectionId, 7, 8),
    fc.integer({ min: 0, max: 0xffff }),
  ),
  value: fc.oneof(fc.uint8Array({ maxLength: 4 }), fc.uint8Array({ maxLength: 90 })),
});

const messageTypeAvp = fc
  .tuple(fc.constantFrom(0x80, 0xc0, 0), fc.constantFrom(1, 1, 2, 3, 10, 0x0101))
  .map(([flags, type]) => ({
    flags,
    vendorId: 0,
    attributeType: 0,
    value: new Uint8Array([type >> 8, type & 0xff]),
  }));

/** A control message over `encap` whose body is a well-formed AVP list (a ZLB when empty). */
const avpMessage = fc
  .tuple(
    fc.constantFrom<[2 | 3, Encapsulation]>([2, 'udp'], [3, 'udp'], [3, 'ip']),
    fc.option(messageTypeAvp, { nil: undefined }),
    fc.array(avpSample, { maxLength: 6 }),
  )
  .map(([[version, encap], first, rest]) => {
    const avps = first === undefined ? rest : [first, ...rest];
    const bodyLength = avps.reduce((n, a) => n + 6 + a.value.length, 0);
    const prefix = encap === 'ip' ? 4 : 0;
    const bytes = new Uint8Array(prefix + 12 + bodyLength);
    const length = 12 + bodyLength;
    const header =
      version === 2
        ? { version, tunnelId: 0, sessionId: 0, ns: 0, nr: 0, length }
        : { version, connectionId: 0, ns: 0, nr: 0, length };
    let at = encodeControlHeader(header, bytes, 0, encap);
    for (const a of avps) {
      const avpLength = 6 + a.value.length;
      bytes[at] = a.flags | (avpLength >> 8);
      bytes[at + 1] = avpLength & 0xff;
      bytes[at + 2] = a.vendorId >> 8;
      bytes[at + 3] = a.vendorId & 0xff;
      bytes[at + 4] = a.attributeType >> 8;
      bytes[at + 5] = a.attributeType & 0xff;
      bytes.set(a.value, at + 6);
      at += avpLength;
    }
    return { encap, bytes };
  });

const ENCAPS: Encapsulation[] = ['udp', 'ip'];

describe('tunnelZeroKey', () => {
  it.each([...XL2TPD_MESSAGES, PROL2TP_V3_SCCRQ].map((m, i) => [`${i} ${m.name}`, m] as const))(
    'agrees with the decoded list on real capture %s',
    (_, m) => {
      const bytes = bytesOf(m);
      expect(tunnelZeroKey(bytes, '192.0.2.7', 1701, 'udp')).toEqual(byDecoding(bytes, 'udp'));
    },
  );

  it('keys an SCCRQ by source and Assigned Tunnel ID, and knows it for an SCCRQ', () => {
    const sccrq = XL2TPD_MESSAGES.find((m) => m.name === 'SCCRQ');
    expect(sccrq).toBeDefined();
    const key = tunnelZeroKey(
      bytesOf(sccrq as (typeof XL2TPD_MESSAGES)[number]),
      '10.0.0.1',
      9,
      'udp',
    );
    expect(key?.sccrq).toBe(true);
    expect(key?.id).toMatch(/^10\.0\.0\.1\|9\|[0-9a-f]{4}$/);
  });

  it('refuses a message whose last AVP runs past its Length', () => {
    const sccrq = bytesOf(
      XL2TPD_MESSAGES.find((m) => m.name === 'SCCRQ') as (typeof XL2TPD_MESSAGES)[number],
    );
    const cut = sccrq.slice();
    // Length field one octet short: the last AVP no longer fits.
    const length = ((cut[2] as number) << 8) | (cut[3] as number);
    cut[2] = (length - 1) >> 8;
    cut[3] = (length - 1) & 0xff;
    expect(byDecoding(cut, 'udp')).toBeUndefined();
    expect(tunnelZeroKey(cut, '192.0.2.7', 1701, 'udp')).toBeUndefined();
  });

  test.prop([avpMessage], { numRuns: 3000 })(
    'agrees on well-formed AVP lists',
    ({ encap, bytes }) => {
      expect(tunnelZeroKey(bytes, '192.0.2.7', 1701, encap)).toEqual(byDecoding(bytes, encap));
    },
  );

  test.prop(
    [avpMessage.chain(({ encap, bytes }) => mutated(bytes).map((m) => ({ encap, bytes: m })))],
    {
      numRuns: 3000,
    },
  )('agrees on mutated AVP lists', ({ encap, bytes }) => {
    expect(tunnelZeroKey(bytes, '192.0.2.7', 1701, encap)).toEqual(byDecoding(bytes, encap));
  });

  test.prop([datagram, fc.constantFrom(...ENCAPS)], { numRuns: 2000 })(
    'agrees on any datagram, either encapsulation',
    (bytes, encap) => {
      expect(tunnelZeroKey(bytes, '192.0.2.7', 1701, encap)).toEqual(byDecoding(bytes, encap));
    },
  );
});
