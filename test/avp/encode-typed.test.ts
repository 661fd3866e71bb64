/**
 * encodeTypedAvps, the engine's one-pass encoder, against the two-step reference
 * `encodeAvps(fromTyped(m))`: the same octets after the headroom for every valid message, and
 * the same error (class and text) for every invalid one.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { typedMessageArbitrary } from '../../src/arbitraries/index.js';
import {
  type ControlMessage,
  encodeTypedAvps,
  FIELD_KINDS,
  type FieldName,
  fromTyped,
} from '../../src/avp/messages.js';
import { encodeAvps } from '../../src/avp/raw.js';
import { stringValue } from '../../src/avp/values.js';
import { UsageError } from '../../src/errors.js';

function reference(m: ControlMessage): Uint8Array | Error {
  try {
    return encodeAvps(fromTyped(m));
  } catch (err) {
    return err as Error;
  }
}

function oneStep(m: ControlMessage, headroom: number): Uint8Array | Error {
  try {
    return encodeTypedAvps(m, headroom);
  } catch (err) {
    return err as Error;
  }
}

// Same octets after the headroom (which stays zero), or the same error class and text.
function expectSame(m: ControlMessage, headroom: number): void {
  const want = reference(m);
  const got = oneStep(m, headroom);
  if (want instanceof Error) {
    expect(got).toBeInstanceOf(want.constructor);
    expect((got as Error).message).toBe(want.message);
    return;
  }
  expect(got).toBeInstanceOf(Uint8Array);
  const bytes = got as Uint8Array;
  expect(bytes.length).toBe(headroom + want.length);
  expect(bytes.subarray(0, headroom).every((b) => b === 0)).toBe(true);
  expect(bytes.subarray(headroom)).toEqual(want);
}

const headroom = fc.constantFrom(0, 12, 16);

// Values of every wrong sort: out of range, fractional, of another type, missing.
const BAD_VALUES: readonly unknown[] = [
  -1,
  0.5,
  256,
  65_536,
  2 ** 32,
  Number.NaN,
  'text',
  null,
  true,
  10n,
  new Uint8Array(3),
  {},
];

describe('encodeTypedAvps', () => {
  for (const version of [2, 3] as const) {
    test.prop([typedMessageArbitrary({ version, maxGenerated: 24 }), headroom], {
      numRuns: 400,
    })(`L2TPv${version}: the octets of encodeAvps(fromTyped(m)) after the headroom`, (m, room) =>
      expectSame(m, room),
    );

    test.prop(
      [
        typedMessageArbitrary({ version, maxGenerated: 8 }),
        fc.constantFrom(...(Object.keys(FIELD_KINDS) as FieldName[])),
        fc.constantFrom(...BAD_VALUES),
        headroom,
      ],
      { numRuns: 400 },
    )(
      `L2TPv${version}: a field with a bad value fails as fromTyped fails`,
      (m, field, value, room) => expectSame({ ...m, [field]: value } as ControlMessage, room),
    );
  }

  it('refuses what fromTyped refuses: a missing required field, a type the version lacks', () => {
    const noId = { type: 'ICRQ', version: 2, callSerialNumber: 1 } as unknown as ControlMessage;
    expect(() => encodeTypedAvps(noId)).toThrow(UsageError);
    expectSame(noId, 12);
    const v3Only = { type: 'ACK', version: 2 } as unknown as ControlMessage;
    expect(() => encodeTypedAvps(v3Only)).toThrow(/does not exist in L2TPv2/);
    expectSame(v3Only, 0);
  });

  it('places fields its spec does not list, and skips keys set to undefined, as fromTyped does', () => {
    // ICRP lists Assigned Session ID only; Host Name and Vendor Name come after it, by type.
    const icrp = { type: 'ICRP', version: 2, assignedSessionId: 7 };
    // With the octets each adds after Message Type and Assigned Session ID (8 + 8).
    const others: [Record<string, unknown>, number][] = [
      [{ ...icrp, vendorName: stringValue('v'), hostName: stringValue('h') }, 14],
      [{ hostName: stringValue('h'), ...icrp }, 7],
      [{ ...icrp, callSerialNumber: undefined }, 0],
      [{ ...icrp, notAField: 1 }, 0],
    ];
    for (const [m, more] of others) {
      expectSame(m as unknown as ControlMessage, 12);
      expect(encodeTypedAvps(m as unknown as ControlMessage).length).toBe(16 + more);
    }
  });

  it('a ZLB is the headroom alone', () => {
    expect(encodeTypedAvps({ type: 'ZLB', version: 2 } as ControlMessage, 12)).toEqual(
      new Uint8Array(12),
    );
  });

  it('writes integers big-endian with the M bit the version gives them', () => {
    const icrp = { type: 'ICRP', version: 2, assignedSessionId: 0xbeef } as ControlMessage;
    // Message Type 11 (M), then Assigned Session ID (type 14, M) = 0xbeef.
    expect([...encodeTypedAvps(icrp, 2)]).toEqual([
      0, 0, 0x80, 8, 0, 0, 0, 0, 0, 11, 0x80, 8, 0, 0, 0, 14, 0xbe, 0xef,
    ]);
  });
});
