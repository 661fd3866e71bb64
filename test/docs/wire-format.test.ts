// docs/wire-format.md draws each header as a Mermaid packet-beta diagram (`first-last: "field"`).
// These tests read the diagrams and check them against the codec: the fields tile the bits from 0
// without gap or overlap, and in a header encoded with distinct values every field holds the value
// the test put there (reserved bits 0). The codec itself is checked against the RFCs, Wireshark
// and xl2tpd elsewhere, so a wrong width or a misplaced field in a picture fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeAvps } from '../../src/avp/raw.js';
import {
  type DataHeader,
  dataHeaderLength,
  encodeControlHeader,
  encodeDataHeader,
} from '../../src/codec/header.js';

interface Field {
  readonly first: number;
  readonly last: number;
  readonly label: string;
}

/** Heading (## …) → the fields of the diagram under it. */
function diagrams(): Map<string, Field[]> {
  const text = readFileSync(new URL('../../docs/wire-format.md', import.meta.url), 'utf8');
  const out = new Map<string, Field[]>();
  for (const section of text.split(/^## /m).slice(1)) {
    const heading = section.slice(0, section.indexOf('\n'));
    const block = /```mermaid\npacket-beta\n([\s\S]*?)```/.exec(section);
    if (block === null) continue;
    const fields = block[1]
      ?.trim()
      .split('\n')
      .map((line) => {
        const m = /^(\d+)(?:-(\d+))?: "(.+)"$/.exec(line.trim());
        if (m === null) throw new Error(`${heading}: not a field: ${line}`);
        return { first: Number(m[1]), last: Number(m[2] ?? m[1]), label: `${m[3]}` };
      });
    out.set(heading, fields ?? []);
  }
  return out;
}

/** The value of bits first…last (bit 0 = MSB of octet 0). */
function bits(bytes: Uint8Array, first: number, last: number): bigint {
  let value = 0n;
  for (let bit = first; bit <= last; bit++) {
    const octet = bytes[bit >> 3] ?? Number.NaN;
    value = (value << 1n) | BigInt((octet >> (7 - (bit & 7))) & 1);
  }
  return value;
}

const RESERVED = new Set(['x', 'rsvd', 'Reserved']);

function dataHeader(fields: DataHeader): Uint8Array {
  const out = new Uint8Array(dataHeaderLength(fields));
  encodeDataHeader(fields, out);
  return out;
}

function controlHeader(
  header: Parameters<typeof encodeControlHeader>[0],
  encap: 'udp' | 'ip',
): Uint8Array {
  const out = new Uint8Array(encap === 'ip' ? 16 : 12);
  encodeControlHeader(header, out, 0, encap);
  return out;
}

const COOKIE = Uint8Array.of(0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef);

/** Per diagram: headers encoded by the codec and what each labelled field holds in them. */
const CASES: Record<string, { bytes: Uint8Array; values: Record<string, bigint> }[]> = {
  'L2TPv2 header (control and data)': [
    {
      // Data, every optional field present (Offset Size 2: two octets of padding).
      bytes: dataHeader({
        version: 2,
        tunnelId: 0x1234,
        sessionId: 0x5678,
        length: 0x0abc,
        ns: 0x1357,
        nr: 0x2468,
        offsetSize: 2,
        priority: true,
      }),
      values: {
        T: 0n,
        L: 1n,
        S: 1n,
        O: 1n,
        P: 1n,
        'Ver = 2': 2n,
        'Length (if L)': 0x0abcn,
        'Tunnel ID': 0x1234n,
        'Session ID': 0x5678n,
        'Ns (if S)': 0x1357n,
        'Nr (if S)': 0x2468n,
        'Offset Size (if O)': 2n,
        'Offset pad… (if O)': 0n,
      },
    },
    {
      // Control: the first three rows.
      bytes: controlHeader(
        { version: 2, tunnelId: 0x1234, sessionId: 0x5678, length: 0x0abc, ns: 0x1357, nr: 0x2468 },
        'udp',
      ),
      values: {
        T: 1n,
        L: 1n,
        S: 1n,
        O: 0n,
        P: 0n,
        'Ver = 2': 2n,
        'Length (if L)': 0x0abcn,
        'Tunnel ID': 0x1234n,
        'Session ID': 0x5678n,
        'Ns (if S)': 0x1357n,
        'Nr (if S)': 0x2468n,
      },
    },
  ],
  'L2TPv3 control message header over UDP': [
    {
      bytes: controlHeader(
        { version: 3, connectionId: 0x89abcdef, length: 0x0abc, ns: 0x1357, nr: 0x2468 },
        'udp',
      ),
      values: {
        T: 1n,
        L: 1n,
        S: 1n,
        'Ver = 3': 3n,
        Length: 0x0abcn,
        'Control Connection ID': 0x89abcdefn,
        Ns: 0x1357n,
        Nr: 0x2468n,
      },
    },
  ],
  'L2TPv3 control message header over IP': [
    {
      bytes: controlHeader(
        { version: 3, connectionId: 0x89abcdef, length: 0x0abc, ns: 0x1357, nr: 0x2468 },
        'ip',
      ),
      values: {
        'Session ID = 0 (32 zero bits)': 0n,
        T: 1n,
        L: 1n,
        S: 1n,
        'Ver = 3': 3n,
        Length: 0x0abcn,
        'Control Connection ID': 0x89abcdefn,
        Ns: 0x1357n,
        Nr: 0x2468n,
      },
    },
  ],
  'L2TPv3 data header over UDP, with a cookie and the default L2-Specific Sublayer': [
    {
      bytes: dataHeader({
        version: 3,
        encap: 'udp',
        sessionId: 0x89abcdef,
        cookie: COOKIE,
        sublayer: 'default',
        ns: 0xabcdef,
      }),
      values: {
        T: 0n,
        'Ver = 3': 3n,
        'Session ID': 0x89abcdefn,
        'Cookie (0, 32 or 64 bits; 64 drawn)': 0x0123456789abcdefn,
        S: 1n,
        'Sequence Number (valid if S)': 0xabcdefn,
      },
    },
  ],
  'L2TPv3 data header over IP, with a cookie and the default L2-Specific Sublayer': [
    {
      bytes: dataHeader({
        version: 3,
        encap: 'ip',
        sessionId: 0x89abcdef,
        cookie: COOKIE,
        sublayer: 'default',
        ns: 0xabcdef,
      }),
      values: {
        'Session ID (not 0)': 0x89abcdefn,
        'Cookie (0, 32 or 64 bits; 64 drawn)': 0x0123456789abcdefn,
        S: 1n,
        'Sequence Number (valid if S)': 0xabcdefn,
      },
    },
  ],
  'AVP header': [
    {
      // Reserved bits set (kept by the raw level), so the picture's 4-bit rsvd is checked too.
      bytes: encodeAvps([
        {
          mandatory: true,
          hidden: true,
          vendorId: 0x1234,
          attributeType: 0x5678,
          value: Uint8Array.of(0xab, 0xcd),
          reserved: 0b1010,
        },
      ]),
      values: {
        M: 1n,
        H: 1n,
        rsvd: 0b1010n,
        Length: 8n,
        'Vendor ID': 0x1234n,
        'Attribute Type': 0x5678n,
        'Attribute Value… (Length − 6 octets)': 0xabcdn,
      },
    },
  ],
};

describe('docs/wire-format.md', () => {
  const found = diagrams();

  it('has a diagram for each header the codec writes, and no other', () => {
    expect([...found.keys()].sort()).toEqual(Object.keys(CASES).sort());
  });

  for (const [heading, fields] of found) {
    it(`${heading}: the fields tile the bits from 0, no gap and no overlap`, () => {
      let next = 0;
      for (const field of fields) {
        expect(field.first, `${field.label} starts after bit ${next - 1}`).toBe(next);
        expect(field.last).toBeGreaterThanOrEqual(field.first);
        next = field.last + 1;
      }
      expect(next % 32, 'whole 32-bit rows').toBe(0);
    });

    it(`${heading}: every field holds what the codec wrote there`, () => {
      for (const { bytes, values } of CASES[heading] ?? []) {
        const covered = fields.filter((f) => f.first < bytes.length * 8);
        for (const field of covered) {
          const actual = bits(bytes, field.first, field.last);
          const expected = values[field.label] ?? (RESERVED.has(field.label) ? 0n : undefined);
          expect(expected, `the test gives no value for '${field.label}'`).not.toBeUndefined();
          expect(actual, `${field.label} (bits ${field.first}-${field.last})`).toBe(expected);
        }
        // Every value the test names is a field of the picture, and the picture covers the bytes.
        const labels = new Set(fields.map((f) => f.label));
        for (const label of Object.keys(values)) expect(labels, label).toContain(label);
        expect(covered.at(-1)?.last, 'the picture ends where the header ends').toBe(
          bytes.length * 8 - 1,
        );
      }
    });
  }
});
