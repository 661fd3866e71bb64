// Golden-byte tests for src/codec/header.ts, smoltcp style: for each layout, deconstruct (decode
// the RFC-built bytes field by field), construct (encode into a 0xa5-filled buffer at a nonzero
// offset, surroundings untouched), parse (decode inside a larger buffer, zero-copy payload) and
// emit (scatter/gather [header, payload]). Then negative cases with their error codes.

import { describe, expect, test } from 'vitest';
import {
  ATM_FLAGS_MASK,
  CONTROL_HEADER_LENGTH,
  type ControlHeader,
  controlHeaderLength,
  cookieMatches,
  type DataParams,
  dataCookie,
  dataHeaderLength,
  decodeControlHeader,
  decodeData,
  decodeDataV2,
  decodeDataV3,
  encodeControlHeader,
  encodeData,
  encodeDataHeader,
} from '../../src/codec/header.js';
import { DecodeError, UsageError } from '../../src/errors.js';
import { hex } from '../helpers/hex.js';
import { CONTROL_CASES, COOKIE4, COOKIE8, DATA_CASES, type DataCase } from './golden.js';

const FILL = 0xa5;
const AT = 7; // nonzero offset for construct/parse

/** A 0xa5-filled buffer with room for `n` bytes at `AT` and 5 spare bytes after. */
function prefilled(n: number): Uint8Array {
  return new Uint8Array(AT + n + 5).fill(FILL);
}

function expectUntouchedOutside(buf: Uint8Array, from: number, to: number): void {
  expect(Array.from(buf.subarray(0, from))).toEqual(new Array(from).fill(FILL));
  expect(Array.from(buf.subarray(to))).toEqual(new Array(buf.length - to).fill(FILL));
}

/** `bytes` copied into a larger buffer at `AT`, followed by 3 junk bytes. */
function embedded(bytes: Uint8Array): Uint8Array {
  const big = new Uint8Array(AT + bytes.length + 3).fill(0xee);
  big.set(bytes, AT);
  return big;
}

// ---------------------------------------------------------------------------------------------
// Control headers

describe.each(CONTROL_CASES)('$name', (c) => {
  const prefix = c.encap === 'ip' ? 4 : 0;

  test('deconstruct', () => {
    const d = decodeControlHeader(c.bytes, c.encap);
    expect(d.header.version).toBe(c.header.version);
    if (d.header.version === 2 && c.header.version === 2) {
      expect(d.header.tunnelId).toBe(c.header.tunnelId);
      expect(d.header.sessionId).toBe(c.header.sessionId);
    } else if (d.header.version === 3 && c.header.version === 3) {
      expect(d.header.connectionId).toBe(c.header.connectionId);
    }
    expect(d.header.ns).toBe(c.header.ns);
    expect(d.header.nr).toBe(c.header.nr);
    expect(d.header.length).toBe(c.header.length);
    expect(d.avpStart).toBe(c.headerLength);
    expect(d.end).toBe(c.bytes.length);
    expect(d.end - prefix).toBe(c.header.length);
  });

  test('construct', () => {
    const buf = prefilled(c.headerLength);
    const end = encodeControlHeader(c.header, buf, AT, c.encap);
    expect(end).toBe(AT + c.headerLength);
    expect(buf.subarray(AT, end)).toEqual(c.bytes.subarray(0, c.headerLength));
    expectUntouchedOutside(buf, AT, end);
  });

  test('parse', () => {
    const big = embedded(c.bytes);
    expect(decodeControlHeader(big, c.encap, AT)).toEqual({
      header: c.header,
      avpStart: AT + c.headerLength,
      end: AT + c.bytes.length, // trailing junk is not part of the message
    });
  });

  test('emit', () => {
    expect(controlHeaderLength(c.header.version, c.encap)).toBe(c.headerLength);
    const out = new Uint8Array(c.bytes.length);
    const bodyAt = encodeControlHeader(c.header, out, 0, c.encap);
    out.set(c.bytes.subarray(bodyAt), bodyAt);
    expect(out).toEqual(c.bytes);
  });
});

// ---------------------------------------------------------------------------------------------
// Data headers

describe.each(DATA_CASES)('$name', (c) => {
  test('deconstruct', () => {
    const m = decodeData(c.bytes, c.params);
    expect(m.version).toBe(c.message.version);
    expect(m.sessionId).toBe(c.message.sessionId);
    expect(m.ns).toBe(c.message.ns);
    if (m.version === 2 && c.message.version === 2) {
      expect(m.tunnelId).toBe(c.message.tunnelId);
      expect(m.length).toBe(c.message.length);
      expect(m.nr).toBe(c.message.nr);
      expect(m.offsetSize).toBe(c.message.offsetSize);
      expect(m.priority).toBe(c.message.priority);
    } else if (m.version === 3 && c.message.version === 3 && c.fields.version === 3) {
      expect(m.cookieLength).toBe(c.message.cookieLength);
      expect(dataCookie(c.bytes, m)).toEqual(c.fields.cookie ?? new Uint8Array(0));
      expect(cookieMatches(c.bytes, m, c.fields.cookie ?? new Uint8Array(0))).toBe(true);
      expect(m.atmFlags).toBe(c.message.atmFlags);
    }
    expect(m.payload).toEqual(c.message.payload);
    expect(c.bytes.length - m.payload.length).toBe(c.headerLength);
  });

  test('construct', () => {
    const buf = prefilled(c.headerLength);
    const end = encodeDataHeader(c.fields, buf, AT);
    expect(end).toBe(AT + c.headerLength);
    expect(buf.subarray(AT, end)).toEqual(c.bytes.subarray(0, c.headerLength));
    expectUntouchedOutside(buf, AT, end);
  });

  test('parse', () => {
    // v2 with L ends at Length; otherwise the payload runs to the end of the input, so embed
    // without trailing junk there.
    const hasLength = c.message.version === 2 && c.message.length !== undefined;
    const big = hasLength ? embedded(c.bytes) : embedded(c.bytes).subarray(0, AT + c.bytes.length);
    const m = decodeData(big, c.params, AT);
    const expected =
      c.message.version === 3
        ? { ...c.message, cookieOffset: c.message.cookieOffset + AT }
        : c.message;
    expect(m).toEqual(expected);
    // zero-copy: the payload is a view of the input at the right place
    expect(m.payload.buffer).toBe(big.buffer);
    expect(m.payload.byteOffset).toBe(big.byteOffset + AT + c.headerLength);
    big[AT + c.headerLength] = (c.message.payload[0] as number) ^ 0xff;
    expect(m.payload[0]).toBe((c.message.payload[0] as number) ^ 0xff);
  });

  test('emit', () => {
    expect(dataHeaderLength(c.fields)).toBe(c.headerLength);
    const payload = c.message.payload.slice();
    const [header, same] = encodeData(c.fields, payload);
    expect(same).toBe(payload); // not copied
    expect(header.length).toBe(c.headerLength);
    expect(header).toEqual(c.bytes.subarray(0, c.headerLength));
  });
});

test('decodeDataV2 / decodeDataV3 match decodeData', () => {
  const v2 = DATA_CASES[1] as DataCase;
  expect(decodeDataV2(v2.bytes)).toEqual(decodeData(v2.bytes, v2.params));
  const v3 = DATA_CASES[2] as DataCase;
  if (v3.params.version !== 3) throw new Error('fixture');
  expect(decodeDataV3(v3.bytes, v3.params)).toEqual(decodeData(v3.bytes, v3.params));
});

test('decodeDataV3 hands out a plain Uint8Array payload view also for a Buffer (node:dgram)', () => {
  const cases = DATA_CASES.filter((c) => c.params.version === 3);
  expect(cases.length).toBeGreaterThan(2);
  for (const c of cases) {
    if (c.params.version !== 3) continue;
    for (const at of [0, 1, 7, 13]) {
      // The datagram inside a larger shared memory block, as Buffer pools place them.
      const memory = new ArrayBuffer(at + c.bytes.length + 5);
      const buffer = Buffer.from(memory, at, c.bytes.length);
      buffer.set(c.bytes);
      const fromBuffer = decodeDataV3(buffer, c.params);
      const fromPlain = decodeDataV3(c.bytes, c.params);
      expect(fromBuffer.payload.constructor).toBe(Uint8Array);
      expect(fromBuffer.payload.buffer).toBe(memory); // a view, not a copy
      expect(fromBuffer.payload.byteOffset).toBe(at + c.headerLength);
      expect(fromBuffer.payload).toEqual(fromPlain.payload);
      expect({ ...fromBuffer, payload: null }).toEqual({ ...fromPlain, payload: null });
      // Plain semantics: slice() copies.
      const copy = fromBuffer.payload.slice();
      if (copy.length > 0) {
        copy[0] = (copy[0] as number) ^ 0xff;
        expect(buffer[c.headerLength]).toBe(c.bytes[c.headerLength]);
      }
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Receive-side leniency (RFC 2661 §3.1 / RFC 3931 §3.2.1: reserved bits ignored on receive)

describe('reserved bits are ignored on receive', () => {
  test('v2 control with every reserved bit and P set', () => {
    // 0xc802 | x bits (0x3000, 0x0400, 0x00f0) | P (0x0100) = 0xfdf2
    const d = decodeControlHeader(hex`fd f2 00 0c 00 01 00 02 00 03 00 04`, 'udp');
    expect(d.header).toEqual({ version: 2, tunnelId: 1, sessionId: 2, ns: 3, nr: 4, length: 12 });
  });

  test('v3 control with reserved bits set', () => {
    const d = decodeControlHeader(hex`fb f3 00 0c 00 00 00 09 00 00 00 00`, 'udp');
    expect(d.header).toEqual({ version: 3, connectionId: 9, ns: 0, nr: 0, length: 12 });
  });

  test('v3 UDP data with reserved bits and Reserved field set, default sublayer S=0', () => {
    const m = decodeData(hex`7f f3 ff ff 00 00 00 05 bf ff ff ff 11`, {
      version: 3,
      encap: 'udp',
      cookieLength: 0,
      sublayer: 'default',
    });
    expect(m).toMatchObject({ version: 3, sessionId: 5, ns: undefined, atmFlags: 0 });
    expect(m.payload).toEqual(hex`11`);
  });

  test('default sublayer reserved bits do not leak into atmFlags', () => {
    const m = decodeData(hex`00 00 00 05 ff 00 00 07`, {
      version: 3,
      encap: 'ip',
      cookieLength: 0,
      sublayer: 'default',
    });
    expect(m).toMatchObject({ ns: 7, atmFlags: 0 });
  });

  test('ATM sublayer exposes B E T G C U and ignores the top reserved bit', () => {
    const m = decodeDataV3(hex`00 00 00 05 bf 00 00 07`, {
      version: 3,
      encap: 'ip',
      cookieLength: 0,
      sublayer: 'atm',
    });
    expect(m.ns).toBeUndefined(); // 0xbf: S bit (0x40) clear
    expect(m.atmFlags).toBe(ATM_FLAGS_MASK);
  });

  test('v2 data: Nr is returned but carries no meaning; padding contents are skipped', () => {
    const m = decodeDataV2(hex`0a 02 00 01 00 02 00 05 ff ff 00 02 aa bb 99`);
    expect(m).toMatchObject({ ns: 5, nr: 0xffff, offsetSize: 2 });
    expect(m.payload).toEqual(hex`99`);
  });

  test('v2 data with L: bytes after Length are not payload', () => {
    const m = decodeDataV2(hex`40 02 00 0a 00 01 00 02 01 02 03  // Length 10`);
    expect(m.payload).toEqual(hex`01 02`);
  });
});

// ---------------------------------------------------------------------------------------------
// Negative cases

const V3_UDP_8_DEFAULT: DataParams = {
  version: 3,
  encap: 'udp',
  cookieLength: 8,
  sublayer: 'default',
};

const NEGATIVE: { name: string; run: () => unknown; code: string; offset?: number }[] = [
  // control
  {
    name: 'control: empty',
    run: () => decodeControlHeader(hex``, 'udp'),
    code: 'L2TP_ERR_TRUNCATED',
  },
  {
    name: 'control: 11 bytes',
    run: () => decodeControlHeader(hex`c8 02 00 0c 00 00 00 00 00 00 00`, 'udp'),
    code: 'L2TP_ERR_TRUNCATED',
  },
  {
    name: 'control: Ver 1 (L2F)',
    run: () => decodeControlHeader(hex`c8 01 00 0c 00 00 00 00 00 00 00 00`, 'udp'),
    code: 'L2TP_ERR_BAD_VERSION',
    offset: 1,
  },
  {
    name: 'control: Ver 15',
    run: () => decodeControlHeader(hex`c8 0f`, 'udp'),
    code: 'L2TP_ERR_BAD_VERSION',
  },
  {
    name: 'control: T=0 (a data message)',
    run: () => decodeControlHeader(hex`48 02 00 0c 00 00 00 00 00 00 00 00`, 'udp'),
    code: 'L2TP_ERR_BAD_HEADER',
  },
  {
    name: 'control: L=0',
    run: () => decodeControlHeader(hex`88 02 00 0c 00 00 00 00 00 00 00 00`, 'udp'),
    code: 'L2TP_ERR_BAD_HEADER',
  },
  {
    name: 'control: S=0',
    run: () => decodeControlHeader(hex`c0 03 00 0c 00 00 00 00 00 00 00 00`, 'udp'),
    code: 'L2TP_ERR_BAD_HEADER',
  },
  {
    name: 'control v2: O=1',
    run: () => decodeControlHeader(hex`ca 02 00 0c 00 00 00 00 00 00 00 00`, 'udp'),
    code: 'L2TP_ERR_BAD_HEADER',
  },
  {
    name: 'control: Length 11 < header',
    run: () => decodeControlHeader(hex`c8 02 00 0b 00 00 00 00 00 00 00 00`, 'udp'),
    code: 'L2TP_ERR_BAD_LENGTH',
    offset: 2,
  },
  {
    name: 'control: Length 13 > input',
    run: () => decodeControlHeader(hex`c8 03 00 0d 00 00 00 00 00 00 00 00`, 'udp'),
    code: 'L2TP_ERR_BAD_LENGTH',
    offset: 2,
  },
  {
    name: 'control: Length 0xffff > input',
    run: () => decodeControlHeader(hex`c8 02 ff ff 00 00 00 00 00 00 00 00`, 'udp'),
    code: 'L2TP_ERR_BAD_LENGTH',
  },
  {
    name: 'control over IP: nonzero Session ID (data)',
    run: () => decodeControlHeader(hex`00 00 00 01 c8 03 00 0c 00 00 00 00 00 00 00 00`, 'ip'),
    code: 'L2TP_ERR_BAD_HEADER',
  },
  {
    name: 'control over IP: Ver 2',
    run: () => decodeControlHeader(hex`00 00 00 00 c8 02 00 0c 00 00 00 00 00 00 00 00`, 'ip'),
    code: 'L2TP_ERR_BAD_VERSION',
    offset: 5,
  },
  {
    name: 'control over IP: 3 bytes',
    run: () => decodeControlHeader(hex`00 00 00`, 'ip'),
    code: 'L2TP_ERR_TRUNCATED',
  },
  {
    name: 'control over IP: Length counts from the T bit (16 > 12 available)',
    run: () => decodeControlHeader(hex`00 00 00 00 c8 03 00 10 00 00 00 00 00 00 00 00`, 'ip'),
    code: 'L2TP_ERR_BAD_LENGTH',
  },
  // v2 data
  { name: 'v2 data: 1 byte', run: () => decodeDataV2(hex`00`), code: 'L2TP_ERR_TRUNCATED' },
  {
    name: 'v2 data: Ver 3',
    run: () => decodeDataV2(hex`00 03 00 00 00 01`),
    code: 'L2TP_ERR_BAD_VERSION',
  },
  {
    name: 'v2 data: T=1',
    run: () => decodeDataV2(hex`80 02 00 00 00 01`),
    code: 'L2TP_ERR_BAD_HEADER',
  },
  {
    name: 'v2 data: 5 bytes',
    run: () => decodeDataV2(hex`00 02 00 00 00`),
    code: 'L2TP_ERR_TRUNCATED',
  },
  {
    name: 'v2 data: S set but Ns/Nr missing',
    run: () => decodeDataV2(hex`08 02 00 01 00 02 00 03`),
    code: 'L2TP_ERR_TRUNCATED',
  },
  {
    name: 'v2 data: offset padding past the end',
    run: () => decodeDataV2(hex`02 02 00 01 00 02 00 05 00 00`),
    code: 'L2TP_ERR_TRUNCATED',
  },
  {
    name: 'v2 data: Length shorter than header',
    run: () => decodeDataV2(hex`40 02 00 07 00 01 00 02 ff`),
    code: 'L2TP_ERR_BAD_LENGTH',
    offset: 2,
  },
  {
    name: 'v2 data: Length shorter than header + padding',
    run: () => decodeDataV2(hex`42 02 00 0b 00 01 00 02 00 02 00 00 ff`),
    code: 'L2TP_ERR_BAD_LENGTH',
  },
  {
    name: 'v2 data: Length past the input',
    run: () => decodeDataV2(hex`40 02 00 0a 00 01 00 02 ff`),
    code: 'L2TP_ERR_BAD_LENGTH',
  },
  // v3 data
  {
    name: 'v3 UDP data: Ver 2',
    run: () => decodeData(hex`00 02 00 00 00 00 00 01`, V3_UDP_8_DEFAULT),
    code: 'L2TP_ERR_BAD_VERSION',
  },
  {
    name: 'v3 UDP data: T=1',
    run: () => decodeData(hex`80 03 00 00 00 00 00 01`, V3_UDP_8_DEFAULT),
    code: 'L2TP_ERR_BAD_HEADER',
  },
  {
    name: 'v3 UDP data: cookie cut short',
    run: () => decodeData(hex`00 03 00 00 00 00 00 01 01 02 03 04`, V3_UDP_8_DEFAULT),
    code: 'L2TP_ERR_TRUNCATED',
  },
  {
    name: 'v3 UDP data: sublayer cut short',
    run: () =>
      decodeData(hex`00 03 00 00 00 00 00 01 01 02 03 04 05 06 07 08 40 00 00`, V3_UDP_8_DEFAULT),
    code: 'L2TP_ERR_TRUNCATED',
  },
  {
    name: 'v3 UDP data: Session ID 0',
    run: () =>
      decodeData(hex`00 03 00 00 00 00 00 00`, {
        version: 3,
        encap: 'udp',
        cookieLength: 0,
        sublayer: 'none',
      }),
    code: 'L2TP_ERR_BAD_HEADER',
    offset: 4,
  },
  {
    name: 'v3 IP data: Session ID 0 is control',
    run: () =>
      decodeData(hex`00 00 00 00 c8 03 00 0c`, {
        version: 3,
        encap: 'ip',
        cookieLength: 4,
        sublayer: 'none',
      }),
    code: 'L2TP_ERR_BAD_HEADER',
  },
  {
    name: 'v3 IP data: 3 bytes',
    run: () =>
      decodeData(hex`00 00 01`, { version: 3, encap: 'ip', cookieLength: 0, sublayer: 'none' }),
    code: 'L2TP_ERR_TRUNCATED',
  },
];

describe('negative cases', () => {
  test.each(NEGATIVE)('$name → $code', ({ run, code, offset }) => {
    let caught: unknown;
    try {
      run();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DecodeError);
    expect((caught as DecodeError).code).toBe(code);
    if (offset !== undefined) expect((caught as DecodeError).offset).toBe(offset);
  });
});

// ---------------------------------------------------------------------------------------------
// Encoder misuse

describe('encoders reject impossible values with UsageError', () => {
  const v2: ControlHeader = { version: 2, tunnelId: 1, sessionId: 0, ns: 0, nr: 0, length: 12 };
  const cases: { name: string; run: () => unknown }[] = [
    {
      name: 'control: v2 over IP',
      run: () => encodeControlHeader(v2, new Uint8Array(16), 0, 'ip'),
    },
    { name: 'control: v2 length', run: () => controlHeaderLength(2, 'ip') },
    {
      name: 'control: buffer too small',
      run: () => encodeControlHeader(v2, new Uint8Array(11)),
    },
    {
      name: 'control: offset past the end',
      run: () => encodeControlHeader(v2, new Uint8Array(20), 9),
    },
    {
      name: 'control: Length < 12',
      run: () => encodeControlHeader({ ...v2, length: 11 }, new Uint8Array(12)),
    },
    {
      name: 'control: tunnel id 65536',
      run: () => encodeControlHeader({ ...v2, tunnelId: 0x10000 }, new Uint8Array(12)),
    },
    {
      name: 'control: Ns -1',
      run: () => encodeControlHeader({ ...v2, ns: -1 }, new Uint8Array(12)),
    },
    {
      name: 'control: ccid 2^32',
      run: () =>
        encodeControlHeader(
          { version: 3, connectionId: 2 ** 32, ns: 0, nr: 0, length: 12 },
          new Uint8Array(12),
        ),
    },
    {
      name: 'v2 data: Nr without Ns',
      run: () => encodeData({ version: 2, tunnelId: 1, sessionId: 1, nr: 1 }, new Uint8Array(0)),
    },
    {
      name: 'v2 data: Length < header',
      run: () =>
        encodeDataHeader({ version: 2, tunnelId: 1, sessionId: 1, length: 7 }, new Uint8Array(8)),
    },
    {
      name: 'v2 data: computed Length > 65535',
      run: () =>
        encodeData({ version: 2, tunnelId: 1, sessionId: 1, length: 0 }, new Uint8Array(65530)),
    },
    {
      name: 'v2 data: session id 1.5',
      run: () => encodeData({ version: 2, tunnelId: 1, sessionId: 1.5 }, new Uint8Array(0)),
    },
    {
      name: 'v3 data: Session ID 0',
      run: () =>
        encodeData({ version: 3, encap: 'ip', sessionId: 0, sublayer: 'none' }, new Uint8Array(0)),
    },
    {
      name: 'v3 data: 5-byte cookie',
      run: () =>
        encodeData(
          { version: 3, encap: 'ip', sessionId: 1, sublayer: 'none', cookie: new Uint8Array(5) },
          new Uint8Array(0),
        ),
    },
    {
      name: 'v3 data: sequence number without sublayer',
      run: () =>
        encodeData(
          { version: 3, encap: 'ip', sessionId: 1, sublayer: 'none', ns: 1 },
          new Uint8Array(0),
        ),
    },
    {
      name: 'v3 data: sequence number 2^24',
      run: () =>
        encodeData(
          { version: 3, encap: 'ip', sessionId: 1, sublayer: 'default', ns: 2 ** 24 },
          new Uint8Array(0),
        ),
    },
    {
      name: 'v3 data: ATM flags on the default sublayer',
      run: () =>
        encodeData(
          { version: 3, encap: 'ip', sessionId: 1, sublayer: 'default', atmFlags: 1 },
          new Uint8Array(0),
        ),
    },
    {
      name: 'v3 data: ATM flags include S',
      run: () =>
        encodeData(
          { version: 3, encap: 'ip', sessionId: 1, sublayer: 'atm', atmFlags: 0x40 },
          new Uint8Array(0),
        ),
    },
  ];
  test.each(cases)('$name', ({ run }) => {
    expect(run).toThrow(UsageError);
  });
});

describe('encoder details', () => {
  test('v2 offset padding is written as zeros over a dirty buffer', () => {
    const buf = new Uint8Array(20).fill(FILL);
    const end = encodeDataHeader({ version: 2, tunnelId: 1, sessionId: 2, offsetSize: 4 }, buf, 1);
    expect(end).toBe(1 + 12);
    expect(buf.subarray(1, end)).toEqual(hex`02 02 00 01 00 02 00 04 00 00 00 00`);
  });

  test('encodeData computes the v2 Length from the payload', () => {
    const [header] = encodeData(
      { version: 2, tunnelId: 1, sessionId: 2, length: 0 },
      new Uint8Array(100),
    );
    expect(header).toEqual(hex`40 02 00 6c 00 01 00 02  // Length 108 = 8 + 100`);
  });

  test('v3 IP control header writes the zero Session ID over a dirty buffer', () => {
    const buf = new Uint8Array(CONTROL_HEADER_LENGTH + 4).fill(FILL);
    encodeControlHeader({ version: 3, connectionId: 1, ns: 2, nr: 3, length: 12 }, buf, 0, 'ip');
    expect(buf).toEqual(hex`00 00 00 00 c8 03 00 0c 00 00 00 01 00 02 00 03`);
  });

  test('cookieMatches is false on a different cookie or length', () => {
    const c = DATA_CASES[2] as DataCase;
    const m = decodeData(c.bytes, c.params);
    if (m.version !== 3) throw new Error('fixture');
    const wrong = COOKIE8.slice();
    wrong[7] = 0xee;
    expect(cookieMatches(c.bytes, m, wrong)).toBe(false);
    expect(cookieMatches(c.bytes, m, COOKIE4)).toBe(false);
  });
});
