/**
 * AVP value codecs: golden values built from the RFC layouts (annotated hex), a round-trip
 * property per kind, and totality plus byte-exact re-encoding on arbitrary bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeTypedValue,
  decodeValue,
  encodeTypedValue,
  encodeValue,
  isValueKind,
  stringValue,
  VALUE_CODECS,
  VALUE_KINDS,
  type ValueByKind,
  type ValueKind,
} from '../../src/avp/values.js';
import { DecodeError, UsageError } from '../../src/errors.js';

/** Annotated hex → bytes: everything after `#` on a line is a comment. */
function hex(text: string): Uint8Array {
  const digits = text
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .join('')
    .replace(/\s+/g, '');
  return Uint8Array.from(digits.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

const ascii = (text: string) => new TextEncoder().encode(text);

describe('golden values (RFC layouts)', () => {
  it('Result Code with Error Code and message (RFC 2661 §4.4.2)', () => {
    const bytes = hex(`
      00 02            # Result Code 2: general error
      00 08            # Error Code 8: unknown mandatory AVP
      41 56 50 20 39 39 # "AVP 99"
    `);
    const value = decodeValue('resultCode', bytes);
    expect(value.resultCode).toBe(2);
    expect(value.errorCode).toBe(8);
    expect(value.errorMessage?.text).toBe('AVP 99');
    expect(encodeValue('resultCode', value)).toEqual(bytes);
  });

  it('Result Code of 2 bytes, as MikroTik and Android send it, is valid', () => {
    const bytes = hex('00 01 # Result Code 1, no Error Code');
    expect(decodeValue('resultCode', bytes)).toEqual({ resultCode: 1 });
    expect(encodeValue('resultCode', { resultCode: 1 })).toEqual(bytes);
  });

  it('Result Code of 3 bytes is rejected with the attribute type', () => {
    const error = (() => {
      try {
        decodeValue('resultCode', hex('00 01 00'), { attributeType: 1, vendorId: 0, offset: 20 });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(DecodeError);
    expect(error).toMatchObject({
      code: 'L2TP_ERR_BAD_AVP_VALUE',
      attributeType: 1,
      vendorId: 0,
      offset: 20,
    });
  });

  it('Protocol Version 1.0 (RFC 2661 §4.4.3)', () => {
    expect(decodeValue('protocolVersion', hex('01 # Ver\n00 # Rev'))).toEqual({
      version: 1,
      revision: 0,
    });
  });

  it('Framing Capabilities with A and S set (RFC 2661 §4.4.3)', () => {
    expect(decodeValue('bitset32', hex('00 00 00 03 # reserved…|A|S'))).toBe(3);
  });

  it('Q.931 Cause Code with advisory text (RFC 2661 §4.4.4)', () => {
    const bytes = hex(`
      00 10     # Cause Code 16, normal call clearing
      45        # Cause Msg 0x45, DISCONNECT
      62 79 65  # advisory "bye"
    `);
    const value = decodeValue('q931Cause', bytes);
    expect(value).toMatchObject({ causeCode: 16, causeMessage: 0x45 });
    expect(value.advisory?.text).toBe('bye');
    expect(encodeValue('q931Cause', value)).toEqual(bytes);
    expect(decodeValue('q931Cause', hex('00 10 45'))).toEqual({
      causeCode: 16,
      causeMessage: 0x45,
    });
  });

  it('Call Errors: reserved + six 32-bit counters, 26 bytes (RFC 2661 §4.4.6)', () => {
    const bytes = hex(`
      00 00        # Reserved
      00 00 00 01  # CRC Errors
      00 00 00 02  # Framing Errors
      00 00 00 03  # Hardware Overruns
      00 00 00 04  # Buffer Overruns
      00 00 00 05  # Time-out Errors
      ff ff ff ff  # Alignment Errors (2^32 - 1, must stay positive)
    `);
    expect(decodeValue('callErrors', bytes)).toEqual({
      reserved: 0,
      crcErrors: 1,
      framingErrors: 2,
      hardwareOverruns: 3,
      bufferOverruns: 4,
      timeoutErrors: 5,
      alignmentErrors: 0xffff_ffff,
    });
  });

  it('ACCM with the default masks (RFC 2661 §4.4.6)', () => {
    const bytes = hex('00 00 # Reserved\n ff ff ff ff # Send ACCM\n ff ff ff ff # Receive ACCM');
    expect(decodeValue('accm', bytes)).toEqual({
      reserved: 0,
      sendAccm: 0xffff_ffff,
      receiveAccm: 0xffff_ffff,
    });
  });

  it('Proxy Authen ID: reserved octet + ID (RFC 2661 §4.4.5)', () => {
    expect(decodeValue('proxyAuthenId', hex('00 2a'))).toEqual({ reserved: 0, id: 42 });
  });

  it('Pseudowire Capabilities List (RFC 3931 §5.4.3)', () => {
    const bytes = hex('00 05 # Ethernet\n 00 04 # Ethernet VLAN\n 00 07 # PPP');
    expect(decodeValue('pwCapList', bytes)).toEqual([5, 4, 7]);
    expect(() => decodeValue('pwCapList', hex('00 05 00'))).toThrow(DecodeError);
  });

  it('Circuit Status A|N and the RFC 5641 bits', () => {
    expect(decodeValue('circuitStatus', hex('00 03 # N|A'))).toEqual({
      active: true,
      new: true,
      acRxFault: false,
      acTxFault: false,
      pwRxFault: false,
      pwTxFault: false,
      standby: false,
      reserved: 0,
    });
    const standbyWithFaults = decodeValue('circuitStatus', hex('80 7c # rsvd bit 0, S|E|I|T|R'));
    expect(standbyWithFaults).toMatchObject({
      active: false,
      new: false,
      acRxFault: true,
      acTxFault: true,
      pwRxFault: true,
      pwTxFault: true,
      standby: true,
      reserved: 0x8000,
    });
    expect(encodeValue('circuitStatus', standbyWithFaults)).toEqual(hex('80 7c'));
  });

  it('Assigned Cookie is 0, 4 or 8 bytes (RFC 3931 §5.4.4)', () => {
    for (const n of [0, 4, 8]) expect(decodeValue('cookie', new Uint8Array(n))).toHaveLength(n);
    for (const n of [1, 3, 5, 9])
      expect(() => decodeValue('cookie', new Uint8Array(n))).toThrow(DecodeError);
    expect(() => encodeValue('cookie', new Uint8Array(6))).toThrow(UsageError);
  });

  it('Message Digest: type 0 carries 16 bytes, type 1 carries 20 (RFC 3931 §5.4.1)', () => {
    const md5 = hex(`00 # Digest Type 0, HMAC-MD5
      00112233 44556677 8899aabb ccddeeff`);
    expect(decodeValue('messageDigest', md5)).toEqual({ digestType: 0, digest: md5.subarray(1) });
    const sha1 = new Uint8Array(21);
    sha1[0] = 1;
    expect(decodeValue('messageDigest', sha1).digest).toHaveLength(20);
    expect(() => decodeValue('messageDigest', new Uint8Array(21))).toThrow(DecodeError);
    expect(() => decodeValue('messageDigest', new Uint8Array(0))).toThrow(DecodeError);
    // Unknown digest types are carried as they are.
    expect(decodeValue('messageDigest', hex('07 aa bb'))).toEqual({
      digestType: 7,
      digest: hex('aa bb'),
    });
  });

  it('Tx Connect Speed v3 is a 64-bit value (RFC 3931 §5.4.4)', () => {
    const tenGig = hex('00 00 00 02 54 0b e4 00 # 10 000 000 000 bps');
    expect(decodeValue('u64', tenGig)).toBe(10_000_000_000n);
    expect(encodeValue('u64', 10_000_000_000n)).toEqual(tenGig);
  });

  it('32-bit values at and above 2^31 stay unsigned', () => {
    expect(decodeValue('u32', hex('80 00 00 00'))).toBe(0x8000_0000);
    expect(decodeValue('u32', hex('ff ff ff ff'))).toBe(0xffff_ffff);
  });

  it('PPP Disconnect Cause Code (RFC 3145 §2)', () => {
    const bytes = hex(`
      00 03        # Disconnect Code 3: normal, LCP Terminate-Request sent
      c0 21        # Control Protocol Number: LCP
      01           # Direction 1: at peer
      62 79 65     # "bye"
    `);
    const value = decodeValue('pppDisconnectCause', bytes);
    expect(value).toMatchObject({ disconnectCode: 3, controlProtocol: 0xc021, direction: 1 });
    expect(value.message?.text).toBe('bye');
    expect(() => decodeValue('pppDisconnectCause', hex('00 03 c0 21'))).toThrow(DecodeError);
  });

  it('Failover AVPs (RFC 4951 §5)', () => {
    expect(
      decodeValue('failoverCapability', hex('00 03 # rsvd|D|C\n 00 00 0b b8 # 3000 ms')),
    ).toEqual({ control: true, data: true, reserved: 0, recoveryTime: 3000 });
    expect(
      decodeValue(
        'tunnelRecovery',
        hex('00 00 # rsvd\n 00 00 00 05 # tunnel\n 00 00 00 07 # remote'),
      ),
    ).toEqual({ reserved: 0, recoverTunnelId: 5, recoverRemoteTunnelId: 7 });
    expect(decodeValue('suggestedControlSequence', hex('00 00 00 0a 00 0b'))).toEqual({
      reserved: 0,
      ns: 10,
      nr: 11,
    });
    expect(decodeValue('failoverSessionState', hex('00 00 89 ab cd ef 00 00 00 01'))).toEqual({
      reserved: 0,
      sessionId: 0x89abcdef,
      remoteSessionId: 1,
    });
  });

  it('Connect Speed Update: 12 bytes for v2, 20 for v3 (RFC 5515 §6.1)', () => {
    const v2 = hex(`00 00 # Reserved
      00 2a        # Remote Session Id
      00 98 96 80  # Tx 10 Mbps
      00 0f 42 40  # Rx 1 Mbps`);
    expect(decodeValue('connectSpeedUpdate', v2)).toEqual({
      format: 'v2',
      reserved: 0,
      remoteSessionId: 42,
      txConnectSpeed: 10_000_000,
      rxConnectSpeed: 1_000_000,
    });
    const v3 = hex(`00 00 00 2a              # Remote Session Id
      00 00 00 02 54 0b e4 00  # Tx 10 Gbps
      00 00 00 00 3b 9a ca 00  # Rx 1 Gbps`);
    expect(decodeValue('connectSpeedUpdate', v3)).toEqual({
      format: 'v3',
      remoteSessionId: 42,
      txConnectSpeed: 10_000_000_000n,
      rxConnectSpeed: 1_000_000_000n,
    });
    expect(() => decodeValue('connectSpeedUpdate', new Uint8Array(16))).toThrow(DecodeError);
  });

  it('Extended Vendor ID (RFC 3931 §5.1)', () => {
    const bytes = hex('00 00 0d e9 # Vendor 3561\n 00 01 # type 1\n 61 62 # value');
    expect(decodeValue('extendedVendor', bytes)).toEqual({
      vendorId: 3561,
      attributeType: 1,
      value: ascii('ab'),
    });
  });

  it('strings keep their bytes and offer a UTF-8 view', () => {
    const latin1 = hex('6c 61 63 e9 # "lacé" in Latin-1, invalid UTF-8');
    const value = decodeValue('string', latin1);
    expect(value.bytes).toEqual(latin1);
    expect(value.text).toBe('lac\ufffd');
    expect(encodeValue('string', value)).toEqual(latin1);
    expect(encodeValue('string', stringValue('lns.example'))).toEqual(ascii('lns.example'));
  });

  it('decoded views alias the input; encoders return fresh arrays', () => {
    const input = hex('aa bb cc dd');
    const view = decodeValue('bytes', input);
    expect(view.buffer).toBe(input.buffer);
    const out = encodeValue('bytes', view);
    expect(out.buffer).not.toBe(input.buffer);
  });

  it('encoders reject values the wire cannot carry', () => {
    expect(() => encodeValue('u16', 0x1_0000)).toThrow(UsageError);
    expect(() => encodeValue('u32', -1)).toThrow(UsageError);
    expect(() => encodeValue('u8', 1.5)).toThrow(UsageError);
    expect(() => encodeValue('u64', 1n << 64n)).toThrow(UsageError);
    expect(() => encodeValue('empty', 0 as unknown as null)).toThrow(UsageError);
    expect(() =>
      encodeValue('resultCode', { resultCode: 2, errorMessage: stringValue('no code') }),
    ).toThrow(UsageError);
    expect(() =>
      encodeValue('circuitStatus', {
        active: true,
        new: false,
        acRxFault: false,
        acTxFault: false,
        pwRxFault: false,
        pwTxFault: false,
        standby: false,
        reserved: 0x0001,
      }),
    ).toThrow(UsageError);
  });

  it('typed wrappers tag the kind', () => {
    const typed = decodeTypedValue('u16', hex('06 a5'));
    expect(typed).toEqual({ kind: 'u16', value: 1701 });
    expect(encodeTypedValue(typed)).toEqual(hex('06 a5'));
    expect(isValueKind('circuitStatus')).toBe(true);
    expect(isValueKind('toString')).toBe(false);
  });
});

// ---- properties -------------------------------------------------------------------------------

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const u64 = fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn });
const octets = (maxLength = 40) => fc.uint8Array({ maxLength });
const text = (minLength = 0) =>
  fc.oneof(
    fc.string({ unit: 'grapheme', minLength, maxLength: 20 }).map(stringValue),
    fc.uint8Array({ minLength, maxLength: 40 }).map(stringValue),
  );
const bool = fc.boolean();

const arbitraries: { [K in ValueKind]: fc.Arbitrary<ValueByKind[K]> } = {
  empty: fc.constant(null),
  u8,
  u16,
  u32,
  u64,
  string: text(),
  bytes: octets(),
  messageType: u16,
  resultCode: fc.oneof(
    fc.record({ resultCode: u16 }),
    fc.record({ resultCode: u16, errorCode: u16 }),
    fc.record({ resultCode: u16, errorCode: u16, errorMessage: text(1) }),
  ),
  protocolVersion: fc.record({ version: u8, revision: u8 }),
  bitset32: u32,
  q931Cause: fc.oneof(
    fc.record({ causeCode: u16, causeMessage: u8 }),
    fc.record({ causeCode: u16, causeMessage: u8, advisory: text(1) }),
  ),
  callErrors: fc.record({
    reserved: u16,
    crcErrors: u32,
    framingErrors: u32,
    hardwareOverruns: u32,
    bufferOverruns: u32,
    timeoutErrors: u32,
    alignmentErrors: u32,
  }),
  accm: fc.record({ reserved: u16, sendAccm: u32, receiveAccm: u32 }),
  proxyAuthenId: fc.record({ reserved: u8, id: u8 }),
  pwCapList: fc.array(u16, { maxLength: 12 }),
  circuitStatus: fc.record({
    active: bool,
    new: bool,
    acRxFault: bool,
    acTxFault: bool,
    pwRxFault: bool,
    pwTxFault: bool,
    standby: bool,
    reserved: fc.integer({ min: 0, max: 0x1ff }).map((n) => n << 7),
  }),
  cookie: fc.constantFrom(0, 4, 8).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
  l2SpecificSublayer: u16,
  dataSequencing: u16,
  messageDigest: fc.oneof(
    fc.record({
      digestType: fc.constant(0),
      digest: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    }),
    fc.record({
      digestType: fc.constant(1),
      digest: fc.uint8Array({ minLength: 20, maxLength: 20 }),
    }),
    fc.record({ digestType: fc.integer({ min: 2, max: 0xff }), digest: octets() }),
  ),
  extendedVendor: fc.record({ vendorId: u32, attributeType: u16, value: octets() }),
  pppDisconnectCause: fc.oneof(
    fc.record({ disconnectCode: u16, controlProtocol: u16, direction: u8 }),
    fc.record({ disconnectCode: u16, controlProtocol: u16, direction: u8, message: text(1) }),
  ),
  failoverCapability: fc.record({
    control: bool,
    data: bool,
    reserved: fc.integer({ min: 0, max: 0x3fff }).map((n) => n << 2),
    recoveryTime: u32,
  }),
  tunnelRecovery: fc.record({ reserved: u16, recoverTunnelId: u32, recoverRemoteTunnelId: u32 }),
  suggestedControlSequence: fc.record({ reserved: u16, ns: u16, nr: u16 }),
  failoverSessionState: fc.record({ reserved: u16, sessionId: u32, remoteSessionId: u32 }),
  atmAlarmStatus: fc.record({ circuitStatusReason: u16, alarmType: u16 }),
  connectSpeedUpdate: fc.oneof(
    fc.record({
      format: fc.constant('v2' as const),
      reserved: u16,
      remoteSessionId: u16,
      txConnectSpeed: u32,
      rxConnectSpeed: u32,
    }),
    fc.record({
      format: fc.constant('v3' as const),
      remoteSessionId: u32,
      txConnectSpeed: u64,
      rxConnectSpeed: u64,
    }),
  ),
};

// Lengths 0–30 uniformly, so fixed-size kinds (up to 26 bytes) see valid input often.
const anyBytes = fc
  .integer({ min: 0, max: 30 })
  .chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));

describe('properties', () => {
  it('every kind has a codec and an arbitrary', () => {
    expect(Object.keys(VALUE_CODECS).sort()).toEqual([...VALUE_KINDS].sort());
    expect(Object.keys(arbitraries).sort()).toEqual([...VALUE_KINDS].sort());
  });

  for (const kind of VALUE_KINDS) {
    it(`${kind}: decode(encode(v)) equals v`, () => {
      fc.assert(
        fc.property(arbitraries[kind] as fc.Arbitrary<ValueByKind[typeof kind]>, (value) => {
          const bytes = encodeValue(kind, value);
          expect(decodeValue(kind, bytes)).toEqual(value);
        }),
        { numRuns: 150 },
      );
    });

    it(`${kind}: any bytes decode to a value that re-encodes to the same bytes, or to DecodeError`, () => {
      fc.assert(
        fc.property(anyBytes, (bytes) => {
          let value: ValueByKind[typeof kind];
          try {
            value = decodeValue(kind, bytes, { attributeType: 4242 });
          } catch (error) {
            expect(error).toBeInstanceOf(DecodeError);
            expect(error).toMatchObject({ code: 'L2TP_ERR_BAD_AVP_VALUE', attributeType: 4242 });
            return;
          }
          expect(encodeValue(kind, value)).toEqual(bytes);
        }),
        { numRuns: 150 },
      );
    });
  }
});
