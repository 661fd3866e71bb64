/**
 * The codec against real peers' bytes: every message captured from xl2tpd 1.3.18 (basic.pcap and
 * auth.pcap) and the ProL2TP L2TPv3 SCCRQ decodes at the raw level, re-encodes byte for byte,
 * and parses to the typed message the fixture annotations describe (RFC 2661 §3–§6, RFC 3931 §5).
 * The auth capture's Challenge Responses verify with the published test secret (RFC 2661 §4.2,
 * §5.1.1). Truncating any fixture anywhere gives a DecodeError and nothing else.
 * Provenance of the bytes: docs/fixtures.md. No tshark here (see test/interop/).
 */

import { describe, expect, it } from 'vitest';
import {
  type ControlMessage,
  challengeResponse,
  DecodeError,
  decodeControl,
  encodeControl,
  L2tpError,
  ProtocolError,
  parseControl,
  type RawControlMessage,
  verifyChallengeResponse,
} from '../src/index.js';
import { nodeCrypto } from '../src/node/index.js';
import {
  bytesOf,
  PROL2TP_V3_SCCRQ,
  XL2TPD_AUTH,
  XL2TPD_AUTH_SECRET,
  XL2TPD_BASIC,
  XL2TPD_MESSAGES,
  type Xl2tpdMessage,
  xl2tpdMessage,
} from './fixtures/xl2tpd.js';
import { hex, toHex } from './helpers/hex.js';

const secret = new TextEncoder().encode(XL2TPD_AUTH_SECRET);
const at = (m: Xl2tpdMessage) => `${m.capture} frame ${m.frame} (${m.name})`;

/** The fixture as L2TPv3-over-IP bytes: the zero Session ID, then the message (RFC 3931 §4.1.1.2). */
function overIp(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + message.length);
  out.set(message, 4);
  return out;
}

/** A typed message as plain data: strings as text, bytes as hex, bigints as decimal strings. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return toHex(value);
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) {
    if ('text' in value && 'bytes' in value) return (value as { text: string }).text;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

// What the fixture annotations in test/fixtures/xl2tpd.ts say, frame by frame, as typed fields.
const SCCRQ_COMMON = {
  protocolVersion: { version: 1, revision: 0 },
  framingCapabilities: 3, // sync and async
  bearerCapabilities: 0,
  firmwareRevision: 0x0690,
  vendorName: 'xelerance.com',
  receiveWindowSize: 4,
};
const GOODBYE = { resultCode: 1, errorCode: 0, errorMessage: 'Goodbye!' };
const ZLB = { type: 'ZLB' };

const EXPECTED_BASIC: Readonly<Record<number, object>> = {
  1: { type: 'SCCRQ', ...SCCRQ_COMMON, hostName: 'lac.test', assignedTunnelId: 35125 },
  2: { type: 'SCCRP', ...SCCRQ_COMMON, hostName: 'lns.test', assignedTunnelId: 29296 },
  3: { type: 'SCCCN' },
  4: ZLB,
  5: { type: 'ICRQ', assignedSessionId: 34736, callSerialNumber: 1, bearerType: 0 },
  6: { type: 'ICRP', assignedSessionId: 42896 },
  7: ZLB,
  8: { type: 'ICCN', txConnectSpeed: 0, framingType: 1, rxConnectSpeed: 0 },
  9: ZLB,
  10: { type: 'CDN', resultCode: { resultCode: 1, errorCode: 0 }, assignedSessionId: 42896 },
  11: ZLB,
  12: { type: 'HELLO' },
  13: ZLB,
  14: { type: 'HELLO' },
  15: ZLB,
  16: { type: 'StopCCN', assignedTunnelId: 35125, resultCode: GOODBYE },
  17: ZLB,
};

const EXPECTED_AUTH: Readonly<Record<number, object>> = {
  1: {
    type: 'SCCRQ',
    ...SCCRQ_COMMON,
    randomVector: 'aa 72 e2 38 aa e7 fd 7b eb 3e 80 0a 49 ee bb 64',
    hostName: 'lac.test',
    assignedTunnelId: 1945,
    challenge: '24 ab 2f 76 5e 86 84 2e b2 a0 5e cd ab d8 3f e8',
  },
  2: {
    type: 'SCCRP',
    ...SCCRQ_COMMON,
    randomVector: 'ec fe f6 cb 2f f6 fe e6 9b 26 5e 9e 1d c0 1c 25',
    hostName: 'lns.test',
    assignedTunnelId: 33699,
    challengeResponse: '7d f7 03 dd 19 cd 78 4c fe cf 48 1b 92 ad c2 94',
    challenge: 'e5 db c9 69 52 55 f9 d0 60 19 85 20 f4 80 65 8e',
  },
  3: {
    type: 'SCCCN',
    randomVector: 'd9 27 7a 9a 75 15 c9 c6 77 52 4c 00 82 31 10 5e',
    challengeResponse: '7f 88 17 58 c0 7e 6b 8e 07 da 4a f4 fb 7c 65 40',
  },
  4: {
    type: 'ICRQ',
    randomVector: 'f3 b0 8a 47 47 9a f9 11 16 07 3e 95 37 2d 04 73',
    assignedSessionId: 5430,
    callSerialNumber: 1,
    bearerType: 0,
  },
  5: ZLB,
  6: {
    type: 'ICRP',
    randomVector: '81 17 90 eb db 9e 1b ca dd 9c 02 49 30 98 77 db',
    assignedSessionId: 7293,
  },
  7: {
    type: 'ICCN',
    randomVector: 'a9 1d 90 3c cf 83 bb 53 df 86 5f 07 c9 f7 3e 9d',
    txConnectSpeed: 0,
    framingType: 1,
    rxConnectSpeed: 0,
  },
  8: ZLB,
  9: ZLB,
  10: {
    type: 'CDN',
    randomVector: 'f2 50 7d d7 18 2e f3 f4 8d bf 43 aa 2a 31 ba 4d',
    resultCode: { resultCode: 1, errorCode: 0 },
    assignedSessionId: 7293,
  },
  11: ZLB,
  12: {
    type: 'StopCCN',
    randomVector: 'eb 68 cc 35 ef ae 9f 77 91 97 10 88 73 63 a2 29',
    assignedTunnelId: 1945,
    resultCode: GOODBYE,
  },
  13: ZLB,
};

function expectedOf(m: Xl2tpdMessage): object {
  const table = m.capture === 'basic.pcap' ? EXPECTED_BASIC : EXPECTED_AUTH;
  const e = table[m.frame];
  if (e === undefined) throw new Error(`no expectation for ${at(m)}`);
  return { version: 2, ...e };
}

describe('xl2tpd 1.3.18 captures (docs/fixtures.md)', () => {
  it('every frame has an expectation (30 messages: 17 in basic.pcap, 13 in auth.pcap)', () => {
    expect([XL2TPD_BASIC.length, XL2TPD_AUTH.length]).toEqual([17, 13]);
    for (const m of XL2TPD_MESSAGES) expect(expectedOf(m), at(m)).toHaveProperty('type', m.name);
  });

  it.each(XL2TPD_MESSAGES.map((m) => [at(m), m] as const))(
    '%s: raw decode, header fields, byte-exact re-encode',
    (_, m) => {
      const bytes = bytesOf(m);
      const raw = decodeControl(bytes);
      expect(raw.header).toEqual({
        version: 2,
        tunnelId: m.tunnelId,
        sessionId: m.sessionId,
        ns: m.ns,
        nr: m.nr,
        length: bytes.length,
      });
      // RFC 2661 §4.1: the AVP headers tile the body exactly.
      expect(raw.avps.reduce((n, a) => n + 6 + a.value.length, 12)).toBe(bytes.length);
      expect(raw.avps.every((a) => a.vendorId === 0 && !a.hidden)).toBe(true);
      expect(toHex(encodeControl(raw))).toBe(toHex(bytes));
      // Into a caller buffer at an offset, with sentinel bytes around it.
      const target = new Uint8Array(bytes.length + 7).fill(0xa5);
      const view = encodeControl(raw, { target, offset: 3 });
      expect(toHex(view)).toBe(toHex(bytes));
      expect([...target.subarray(0, 3), ...target.subarray(3 + bytes.length)]).toEqual(
        Array(7).fill(0xa5),
      );
    },
  );

  it.each(XL2TPD_MESSAGES.map((m) => [at(m), m] as const))(
    '%s: parses to the annotated typed message',
    (_, m) => {
      const parsed = parseControl(bytesOf(m));
      expect(plain(parsed.message)).toEqual(expectedOf(m));
      expect(parsed.header).toEqual(decodeControl(bytesOf(m)).header);
      // The lazily built raw list is the one decodeControl gives.
      expect(plain(parsed.avps)).toEqual(plain(decodeControl(bytesOf(m)).avps));
    },
  );

  it('keeps the M bits xl2tpd sent: Firmware Revision, Vendor Name and Rx Connect Speed without M', () => {
    const flags = (m: Xl2tpdMessage) =>
      decodeControl(bytesOf(m)).avps.map((a) => [a.attributeType, a.mandatory]);
    expect(flags(xl2tpdMessage('SCCRQ'))).toEqual([
      [0, true],
      [2, true],
      [3, true],
      [4, true],
      [6, false],
      [7, true],
      [8, false],
      [9, true],
      [10, true],
    ]);
    expect(flags(xl2tpdMessage('ICCN'))).toEqual([
      [0, true],
      [24, true],
      [19, true],
      [38, false],
    ]);
    // auth.pcap: the Random Vector comes right after the Message Type, Challenge last.
    expect(flags(xl2tpdMessage('SCCRQ', 'auth.pcap')).map(([t]) => t)).toEqual([
      0, 36, 2, 3, 4, 6, 7, 8, 9, 10, 11,
    ]);
  });

  it('ZLB acknowledgements carry the session id of the call they acknowledge (frame 9)', () => {
    const zlb = XL2TPD_BASIC.find((m) => m.frame === 9) as Xl2tpdMessage;
    const parsed = parseControl(bytesOf(zlb));
    expect(parsed.message).toEqual({ type: 'ZLB', version: 2 });
    expect(parsed.header).toMatchObject({ tunnelId: 35125, sessionId: 34736, ns: 2, nr: 4 });
    expect(parsed.avps).toEqual([]);
  });
});

describe('tunnel authentication in auth.pcap (RFC 2661 §4.2, §5.1.1)', () => {
  const typed = (name: 'SCCRQ' | 'SCCRP' | 'SCCCN') =>
    parseControl(bytesOf(xl2tpdMessage(name, 'auth.pcap'))).message as ControlMessage & {
      readonly challenge?: Uint8Array;
      readonly challengeResponse?: Uint8Array;
    };
  const sccrq = typed('SCCRQ');
  const sccrp = typed('SCCRP');
  const scccn = typed('SCCCN');

  it('the LNS answers the SCCRQ Challenge in SCCRP with MD5(2 ‖ secret ‖ challenge)', () => {
    const expected = challengeResponse(2, secret, sccrq.challenge as Uint8Array, nodeCrypto);
    expect(toHex(expected)).toBe(toHex(sccrp.challengeResponse as Uint8Array));
    expect(
      verifyChallengeResponse(
        2,
        secret,
        sccrq.challenge as Uint8Array,
        sccrp.challengeResponse as Uint8Array,
        nodeCrypto,
      ),
    ).toBe(true);
  });

  it('the LAC answers the SCCRP Challenge in SCCCN with MD5(3 ‖ secret ‖ challenge)', () => {
    const expected = challengeResponse(3, secret, sccrp.challenge as Uint8Array, nodeCrypto);
    expect(toHex(expected)).toBe(toHex(scccn.challengeResponse as Uint8Array));
    expect(
      verifyChallengeResponse(
        3,
        secret,
        sccrp.challenge as Uint8Array,
        scccn.challengeResponse as Uint8Array,
        nodeCrypto,
      ),
    ).toBe(true);
  });

  it('a wrong secret, a wrong type octet or the other challenge does not verify', () => {
    const wrong = new TextEncoder().encode(`${XL2TPD_AUTH_SECRET}!`);
    const cases: [2 | 3, Uint8Array, Uint8Array | undefined, Uint8Array | undefined][] = [
      [2, wrong, sccrq.challenge, sccrp.challengeResponse],
      [3, wrong, sccrp.challenge, scccn.challengeResponse],
      [3, secret, sccrq.challenge, sccrp.challengeResponse], // type octet of the other message
      [2, secret, sccrp.challenge, sccrp.challengeResponse], // the SCCRP's own challenge
      [3, secret, sccrp.challenge, sccrp.challengeResponse], // the other direction's response
    ];
    for (const [type, key, challenge, response] of cases) {
      expect(
        verifyChallengeResponse(
          type,
          key,
          challenge as Uint8Array,
          response as Uint8Array,
          nodeCrypto,
        ),
      ).toBe(false);
    }
    expect(toHex(challengeResponse(2, wrong, sccrq.challenge as Uint8Array, nodeCrypto))).not.toBe(
      toHex(sccrp.challengeResponse as Uint8Array),
    );
  });
});

describe('ProL2TP 1.7.3 L2TPv3 SCCRQ (RFC 3931 §6.1)', () => {
  const bytes = bytesOf(PROL2TP_V3_SCCRQ);
  const expected = {
    type: 'SCCRQ',
    version: 3,
    hostName: 'openv3',
    vendorName: PROL2TP_V3_SCCRQ.sender,
    receiveWindowSize: 10,
    routerId: 0,
    assignedControlConnectionId: 0x2846f181,
    pseudowireCapabilitiesList: [7, 5, 4], // PPP, Ethernet, Ethernet VLAN
  };

  it('over UDP: decodes, re-encodes byte for byte, parses to the typed SCCRQ', () => {
    const raw = decodeControl(bytes);
    expect(raw.header).toEqual({ version: 3, connectionId: 0, ns: 0, nr: 0, length: 124 });
    expect(raw.avps.map((a) => [a.attributeType, a.mandatory])).toEqual([
      [0, true],
      [7, true],
      [8, false],
      [10, true],
      [60, false],
      [61, false],
      [62, false],
    ]);
    expect(toHex(encodeControl(raw))).toBe(toHex(bytes));
    expect(plain(parseControl(bytes).message)).toEqual(expected);
  });

  it('over IP (protocol 115, zero Session ID first): the same message', () => {
    const ip = overIp(bytes);
    const raw = decodeControl(ip, { encap: 'ip' });
    expect(raw.header).toEqual(decodeControl(bytes).header);
    expect(toHex(encodeControl(raw, { encap: 'ip' }))).toBe(toHex(ip));
    expect(plain(parseControl(ip, { encap: 'ip' }).message)).toEqual(expected);
    // A non-zero Session ID is a data packet, not this control message.
    const data = ip.slice();
    data[3] = 1;
    expect(() => decodeControl(data, { encap: 'ip' })).toThrow(DecodeError);
  });
});

interface Fixture {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly encap: 'udp' | 'ip';
}

const FIXTURES: readonly Fixture[] = [
  ...XL2TPD_MESSAGES.map((m) => ({ name: at(m), bytes: bytesOf(m), encap: 'udp' as const })),
  { name: 'ProL2TP SCCRQ over UDP', bytes: bytesOf(PROL2TP_V3_SCCRQ), encap: 'udp' },
  { name: 'ProL2TP SCCRQ over IP', bytes: overIp(bytesOf(PROL2TP_V3_SCCRQ)), encap: 'ip' },
];

/** Runs `f` and returns what it threw (undefined when it returned). */
function thrown(f: () => unknown): unknown {
  try {
    f();
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('truncated fixtures', () => {
  it('cutting any fixture at any length throws DecodeError, from both decoders', () => {
    let cuts = 0;
    for (const f of FIXTURES) {
      for (let n = 0; n < f.bytes.length; n++) {
        const cut = f.bytes.subarray(0, n);
        for (const decode of [decodeControl, parseControl]) {
          const err = thrown(() => decode(cut, { encap: f.encap }));
          if (!(err instanceof DecodeError)) {
            expect.fail(`${f.name} cut to ${n} bytes: ${String(err)} instead of a DecodeError`);
          }
          expect(['L2TP_ERR_TRUNCATED', 'L2TP_ERR_BAD_LENGTH']).toContain(err.code);
        }
        cuts++;
      }
    }
    expect(cuts).toBe(FIXTURES.reduce((n, f) => n + f.bytes.length, 0));
  });

  it('cut with the Length field patched to match: a shorter message or a typed error', () => {
    for (const f of FIXTURES) {
      const base = f.encap === 'ip' ? 4 : 0;
      for (let n = base + 12; n < f.bytes.length; n++) {
        const cut = f.bytes.slice(0, n);
        // Over IP the Length field does not count the Session ID (RFC 3931 §4.1.1.2).
        new DataView(cut.buffer).setUint16(base + 2, n - base);
        let raw: RawControlMessage | undefined;
        const rawErr = thrown(() => {
          raw = decodeControl(cut, { encap: f.encap });
        });
        if (rawErr !== undefined) {
          expect(rawErr, `${f.name} at ${n}`).toBeInstanceOf(DecodeError);
          continue;
        }
        // A cut on an AVP boundary is a well-formed shorter message: it re-encodes exactly.
        expect(toHex(encodeControl(raw as RawControlMessage, { encap: f.encap }))).toBe(toHex(cut));
        const typedErr = thrown(() => parseControl(cut, { encap: f.encap }));
        if (typedErr !== undefined) {
          expect(typedErr, `${f.name} at ${n}`).toBeInstanceOf(L2tpError);
          expect(typedErr instanceof DecodeError || typedErr instanceof ProtocolError).toBe(true);
        }
      }
    }
  });

  it('a cut inside an AVP is an AVP length error at that AVP (RFC 2661 §4.1)', () => {
    // basic.pcap SCCRQ: the 14-octet Host Name AVP starts at 56; cut 3 octets into its value
    // and patch Length to 65, so the AVP's own Length runs past the message.
    const cut = bytesOf(xl2tpdMessage('SCCRQ')).slice(0, 65);
    expect(toHex(cut.subarray(56))).toBe(toHex(hex`800e 0000 0007 6c61 63`));
    new DataView(cut.buffer).setUint16(2, 65);
    expect(thrown(() => decodeControl(cut))).toMatchObject({
      name: 'DecodeError',
      code: 'L2TP_ERR_BAD_AVP_LENGTH',
      offset: 56,
    });
    // Cut 3 octets into the AVP header: not even a header is left.
    const stub = cut.slice(0, 59);
    new DataView(stub.buffer).setUint16(2, 59);
    expect(thrown(() => decodeControl(stub))).toMatchObject({ code: 'L2TP_ERR_TRUNCATED' });
  });
});
