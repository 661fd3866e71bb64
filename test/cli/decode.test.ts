/**
 * `l2tp-core decode` as a user runs it, through `main(argv, io)` (no build, no child process):
 * the xl2tpd captures against expected text in test/fixtures/cli/, hex arguments and stdin,
 * malformed input (offset and reason, decoding goes on), --json, --secret (unhiding, v2 Challenge
 * Responses, v3 Message Digests), pcapng / Linux cooked / IPv6 / IP protocol 115 framing, --help
 * and the usage exit codes.
 */
import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { writeMessageDigest } from '../../src/avp/auth.js';
import { hideAvps } from '../../src/avp/hidden.js';
import type { RawAvp } from '../../src/avp/raw.js';
import { ExitCode, main } from '../../src/cli/main.js';
import { encodeControl } from '../../src/codec/control.js';
import { nodeCrypto } from '../../src/node/crypto.js';
import { bytesOf, PROL2TP_V3_SCCRQ, XL2TPD_AUTH_SECRET } from '../fixtures/xl2tpd.js';
import { hex, toHex } from '../helpers/hex.js';
import { ipv4Packet, pcapFromL2tpIp, pcapFromL2tpUdp, writePcap } from '../helpers/pcap.js';

const FIXTURES = 'test/fixtures';

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs the CLI with in-memory files (`files`) falling back to the disk; `-` is `stdin`. */
function run(argv: string[], files: Record<string, Uint8Array> = {}, stdin?: string): Run {
  let out = '';
  let err = '';
  const code = main(argv, {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    readFile: (path) => {
      if (path === '-') {
        if (stdin === undefined) throw new Error('no stdin in this test');
        return new TextEncoder().encode(stdin);
      }
      return files[path] ?? Uint8Array.from(readFileSync(path));
    },
  });
  return { code, out, err };
}

const expected = (name: string) => readFileSync(`${FIXTURES}/cli/${name}`, 'utf8');
const hexOf = (b: Uint8Array) => toHex(b).replace(/ /g, '');
const ascii = (s: string) => new TextEncoder().encode(s);
const avp = (attributeType: number, value: Uint8Array, mandatory = true): RawAvp => ({
  mandatory,
  hidden: false,
  vendorId: 0,
  attributeType,
  value,
});
const u16 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);
const u32 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);

describe('decode: the xl2tpd captures', () => {
  it('basic.pcap: one summary line per frame, matching the expected text', () => {
    const r = run([
      'decode',
      '--pcap',
      `${FIXTURES}/xl2tpd/basic.pcap`,
      '--port',
      '17010',
      '--port',
      '17011',
    ]);
    expect(r.code).toBe(ExitCode.OK);
    expect(r.out).toBe(expected('basic.txt'));
    expect(r.err).toBe('pcap: 17 frames, 17 L2TP datagrams, 0 malformed, 0 failed checks\n');
  });

  it('auth.pcap -v --secret: every AVP, both Challenge Responses verified', () => {
    const r = run([
      'decode',
      '-v',
      '--secret',
      XL2TPD_AUTH_SECRET,
      '--pcap',
      `${FIXTURES}/xl2tpd/auth.pcap`,
      '--port',
      '17020',
    ]);
    expect(r.code).toBe(ExitCode.OK);
    expect(r.out).toBe(expected('auth-verbose.txt'));
    expect(r.out.match(/challenge response verified/g)).toHaveLength(2);
  });

  it('auth.pcap with a wrong secret: both responses fail and the exit code says so', () => {
    const r = run([
      'decode',
      '--secret',
      'not-the-secret',
      '--pcap',
      `${FIXTURES}/xl2tpd/auth.pcap`,
      '--port',
      '17021',
    ]);
    expect(r.code).toBe(ExitCode.PROBLEMS_FOUND);
    expect(r.out.match(/challenge response MISMATCH/g)).toHaveLength(2);
    expect(r.err).toContain('2 failed checks');
  });

  it('only the given ports are L2TP: on 1701 basic.pcap has none, and the ports it has are named', () => {
    const file = `${FIXTURES}/xl2tpd/basic.pcap`;
    const r = run(['decode', '--pcap', file]);
    expect(r.code).toBe(ExitCode.OK);
    expect(r.out).toBe('');
    expect(r.err).toBe(
      'pcap: 17 frames, 0 L2TP datagrams, 0 malformed, 0 failed checks\n' +
        'no L2TP on UDP port 1701; UDP ports in the capture: ' +
        '17010 (17 datagrams, 17 look like L2TP), 17011 (17 datagrams, 17 look like L2TP)\n' +
        `to decode one of them as L2TP: l2tp-core decode --pcap ${file} --port 17010\n`,
    );
    // The suggestion works.
    expect(run(['decode', '--pcap', file, '--port', '17010']).out).toBe(expected('basic.txt'));
  });

  it('the port hint ranks L2TP-looking ports first and names the decode ports asked for', () => {
    const dns = Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]); // a query header
    const zlb = hex`c802000c 0001 0002 0003 0004`;
    const file = pcapFromL2tpUdp([
      { payload: dns, srcPort: 40000, dstPort: 53 },
      { payload: dns, srcPort: 40001, dstPort: 53 },
      { payload: zlb, srcPort: 5000, dstPort: 5000 },
    ]);
    const r = run(['decode', '--pcap', 'p.pcap', '--port', '1701', '--port', '1702'], {
      'p.pcap': file,
    });
    expect(r.err).toContain(
      'no L2TP on UDP ports 1701, 1702; UDP ports in the capture: 5000 (1 datagram, 1 looks like L2TP), ' +
        '53 (2 datagrams), 40000 (1 datagram), 40001 (1 datagram)\n',
    );
    expect(r.err).toContain('--port 5000\n');
    // Nothing to hint at when L2TP was found, or when there was no UDP at all.
    expect(
      run(['decode', '--pcap', 'p.pcap', '--port', '5000'], { 'p.pcap': file }).err,
    ).not.toContain('no L2TP');
  });

  it('--json: one parseable object per frame with ids, Ns/Nr, type and named AVPs', () => {
    const r = run([
      'decode',
      '--json',
      '--pcap',
      `${FIXTURES}/xl2tpd/basic.pcap`,
      '--port',
      '17010',
    ]);
    expect(r.code).toBe(ExitCode.OK);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(17);
    const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs.map((o) => o.type)).toEqual([
      'SCCRQ',
      'SCCRP',
      'SCCCN',
      'ZLB',
      'ICRQ',
      'ICRP',
      'ZLB',
      'ICCN',
      'ZLB',
      'CDN',
      'ZLB',
      'HELLO',
      'ZLB',
      'HELLO',
      'ZLB',
      'StopCCN',
      'ZLB',
    ]);
    expect(objs[15]).toMatchObject({
      frame: 16,
      srcPort: 17011,
      dstPort: 17010,
      kind: 'control',
      version: 2,
      tunnelId: 29296,
      sessionId: 0,
      ns: 5,
      nr: 4,
      messageType: 4,
    });
    const stop = objs[15]?.avps as { name: string; value: string }[];
    expect(stop.find((a) => a.name === 'ResultCode')?.value).toContain('"Goodbye!"');
  });
});

describe('decode: hex input', () => {
  const sccrq = bytesOf(PROL2TP_V3_SCCRQ);

  it('a hex argument (spaces and colons allowed) gives the summary line', () => {
    const spaced = toHex(sccrq).replace(/ /g, (_, i: number) => (i % 6 === 2 ? ':' : ' '));
    const r = run(['decode', spaced]);
    expect(r.code).toBe(ExitCode.OK);
    expect(r.out).toBe('1 L2TPv3 SCCRQ (ccid 0x00000000, Ns=0, Nr=0, 7 AVPs)\n');
  });

  it('-v lists every AVP; --encap ip reads the zero Session ID first', () => {
    const r = run(['decode', '-v', '--encap', 'ip', `00000000${hexOf(sccrq)}`]);
    expect(r.code).toBe(ExitCode.OK);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(8);
    expect(lines[2]).toBe('  HostName (7) [M-] = "openv3"');
  });

  it('stdin lines: a malformed hex line and a truncated message are reported, the rest decoded', () => {
    const zlb = 'c802000c0000000000000000'; // T L S Ver 2, Length 12, ids 0, Ns 0, Nr 0
    const truncated = hexOf(sccrq.subarray(0, 40)); // Length says 124
    const badAvp = 'c802001400000000000000008004000000000000'; // AVP Length 4 < 6
    const stdin = `# a comment\n${zlb}\nnot hex\n\n${truncated}\n${badAvp}\n${zlb}\n`;
    const r = run(['decode', '-'], {}, stdin);
    expect(r.code).toBe(ExitCode.PROBLEMS_FOUND);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('1 L2TPv2 ZLB (tunnel 0, session 0, Ns=0, Nr=0, 0 AVPs)');
    expect(lines[1]).toMatch(/^2 malformed at offset 0: not a hex digit: "n" .*\(hex\)$/);
    expect(lines[2]).toMatch(/^3 malformed at offset \d+: .*\(L2TP_ERR_BAD_LENGTH\)$/);
    expect(lines[3]).toMatch(/^4 malformed at offset 12: .*\(L2TP_ERR_BAD_AVP_LENGTH\)$/);
    expect(lines[4]).toBe('5 L2TPv2 ZLB (tunnel 0, session 0, Ns=0, Nr=0, 0 AVPs)');
  });

  it('--json on a malformed message gives an error object with code and offset', () => {
    const r = run(['decode', '--json', 'c802001400000000000000008004000000000000']);
    expect(r.code).toBe(ExitCode.PROBLEMS_FOUND);
    expect(JSON.parse(r.out)).toEqual({
      frame: 1,
      encap: 'udp',
      kind: 'error',
      code: 'L2TP_ERR_BAD_AVP_LENGTH',
      offset: 12,
      reason: expect.any(String),
    });
  });

  it('v2 data messages get a line of their own', () => {
    // L and S set (0x4802), Length 14, tunnel 7, session 9, Ns 1, Nr 0, 2 payload bytes ff03.
    const r = run(['decode', '4802 000e 0007 0009 0001 0000 ff03'.replace(/ /g, '')]);
    expect(r.out).toBe('1 L2TPv2 data (tunnel 7, session 9, Ns=1, Nr=0, 2 bytes)\n');
  });

  test.prop([fc.uint8Array({ maxLength: 80 })])('any bytes: a line, never a throw', (bytes) => {
    const r = run(['decode', hexOf(bytes.length === 0 ? Uint8Array.of(0) : bytes)]);
    expect([ExitCode.OK, ExitCode.PROBLEMS_FOUND]).toContain(r.code);
    expect(r.out.trimEnd().split('\n')[0]).toMatch(/^1 /);
  });
});

describe('decode --secret', () => {
  const secret = 'cli-secret';

  it('unhides hidden AVPs (RFC 2661 §4.3): ciphertext without the secret, plaintext with it', () => {
    const avps = hideAvps(
      [avp(0, u16(1)), avp(7, ascii('lac.example')), avp(9, u16(4242))],
      (a) => a.attributeType === 7,
      ascii(secret),
      hex`0f0e0d0c0b0a09080706050403020100`,
      nodeCrypto,
    );
    const msg = encodeControl({
      header: { version: 2, tunnelId: 0, sessionId: 0, ns: 0, nr: 0 },
      avps,
    });
    const plain = run(['decode', '-v', hexOf(msg)]);
    expect(plain.out).toMatch(/HostName \(7\) \[MH\] = hidden [0-9a-f]+/);
    const unhidden = run(['decode', '-v', '--secret', secret, hexOf(msg)]);
    expect(unhidden.code).toBe(ExitCode.OK);
    // The H bit stays visible, as on the wire and in tshark; the value is the plaintext.
    expect(unhidden.out).toContain(
      'HostName (7) [MH] = "lac.example" (hidden, unhidden with the secret)',
    );
    expect(unhidden.out).toContain('AssignedTunnelId (9) [M-] = 4242\n');
    const json = (args: string[]) =>
      (JSON.parse(run(['decode', '--json', ...args, hexOf(msg)]).out) as { avps: object[] }).avps;
    const host = (avps: object[]) => avps.find((a) => (a as { name: string }).name === 'HostName');
    expect(host(json(['--secret', secret]))).toEqual({
      vendorId: 0,
      attributeType: 7,
      name: 'HostName',
      mandatory: true,
      hidden: true,
      unhidden: true,
      length: 11,
      value: '"lac.example"',
    });
    expect(host(json([]))).toMatchObject({
      hidden: true,
      value: expect.stringMatching(/^hidden /),
    });
    expect(host(json([]))).not.toHaveProperty('unhidden');
    // A hidden AVP that cannot be unhidden (wrong secret garbles the length) is an error.
    const wrong = run(['decode', '--secret', 'other', hexOf(msg)]);
    expect(wrong.code).toBe(ExitCode.PROBLEMS_FOUND);
    expect(wrong.out).toMatch(/^1 malformed at offset/);
  });

  // A v3 handshake with nonces (RFC 3931 §5.4.1): A sends SCCRQ, B answers SCCRP, A sends SCCCN.
  function v3Handshake(key: string) {
    const nA = hex`a1a2a3a4a5a6a7a8a9aaabacadaeafb0`;
    const nB = hex`b1b2b3b4b5b6b7b8b9babbbcbdbebfc0`;
    const digestAvp = avp(59, new Uint8Array(17)); // Digest Type 0 (HMAC-MD5) + 16 zero octets
    const build = (ccid: number, ns: number, nr: number, type: number, rest: RawAvp[]) =>
      encodeControl({
        header: { version: 3, connectionId: ccid, ns, nr },
        avps: [avp(0, u16(type)), digestAvp, ...rest],
      });
    const s = ascii(key);
    const sccrq = build(0, 0, 0, 1, [avp(61, u32(0xaaaa0001)), avp(73, nA)]);
    writeMessageDigest(sccrq, 20, s, undefined, nodeCrypto);
    const sccrp = build(0xaaaa0001, 0, 1, 2, [avp(61, u32(0xbbbb0002)), avp(73, nB)]);
    writeMessageDigest(sccrp, 20, s, { local: nB, remote: nA }, nodeCrypto);
    const scccn = build(0xbbbb0002, 1, 1, 3, []);
    writeMessageDigest(scccn, 20, s, { local: nA, remote: nB }, nodeCrypto);
    return [sccrq, sccrp, scccn];
  }

  it('verifies v3 Message Digests with the nonces of the handshake, and flags a flipped bit', () => {
    const msgs = v3Handshake(secret);
    const good = run(['decode', '--secret', secret, ...msgs.map(hexOf)]);
    expect(good.code).toBe(ExitCode.OK);
    expect(good.out.match(/message digest verified/g)).toHaveLength(3);
    expect(good.out.match(/verified \(with nonces\)/g)).toHaveLength(2);
    const bad = msgs.map((m) => m.slice());
    const scccn = bad[2] as Uint8Array;
    scccn[11] = (scccn[11] as number) ^ 1; // low bit of the SCCCN's Nr
    const r = run(['decode', '--secret', secret, ...bad.map(hexOf)]);
    expect(r.code).toBe(ExitCode.PROBLEMS_FOUND);
    expect(r.out.match(/message digest MISMATCH/g)).toHaveLength(1);
  });
});

describe('decode: capture framing', () => {
  const zlb = hex`c802000c 0001 0002 0003 0004`;

  it('IP protocol 115 is always decoded (RFC 3931 §4.1.1); other UDP ports are not', () => {
    const ipFile = pcapFromL2tpIp([Uint8Array.from([0, 0, 0, 0, ...bytesOf(PROL2TP_V3_SCCRQ)])]);
    const udpFile = pcapFromL2tpUdp([{ payload: zlb, srcPort: 5000, dstPort: 5001 }]);
    const r = run(['decode', '--pcap', 'ip.pcap'], { 'ip.pcap': ipFile });
    expect(r.out).toBe(
      '1 127.0.0.1 -> 127.0.0.1 (ip/115) L2TPv3 SCCRQ (ccid 0x00000000, Ns=0, Nr=0, 7 AVPs)\n',
    );
    expect(run(['decode', '--pcap', 'u.pcap'], { 'u.pcap': udpFile }).out).toBe('');
    expect(run(['decode', '--pcap', 'u.pcap', '--port', '5001'], { 'u.pcap': udpFile }).out).toBe(
      '1 127.0.0.1:5000 -> 127.0.0.1:5001 L2TPv2 ZLB (tunnel 1, session 2, Ns=3, Nr=4, 0 AVPs)\n',
    );
  });

  it('pcapng (little-endian) with Linux cooked IPv6/UDP and raw IPv4 interfaces', () => {
    const file = pcapng([
      [113, sll(ipv6Udp(zlb, 1701, 40000))],
      [228, ipv4Packet(115, Uint8Array.from([0, 0, 0, 5, 0xde, 0xad]))],
    ]);
    const r = run(['decode', '--pcap', 'x.pcapng'], { 'x.pcapng': file });
    expect(r.code).toBe(ExitCode.OK);
    expect(r.out).toBe(
      '1 2001:db8::1:1701 -> 2001:db8::2:40000 L2TPv2 ZLB (tunnel 1, session 2, Ns=3, Nr=4, 0 AVPs)\n' +
        '2 127.0.0.1 -> 127.0.0.1 (ip/115) L2TPv3 data (session 0x00000005, 2 bytes after the Session ID)\n',
    );
    expect(r.err).toMatch(/^pcapng: 2 frames, 2 L2TP datagrams/);
  });

  it('a malformed frame is reported with its number and offset, and the next frames decoded', () => {
    const file = pcapFromL2tpUdp([zlb, hex`c802 0040 0001 0002 0003 0004`, zlb]);
    const r = run(['decode', '--pcap', 'm.pcap'], { 'm.pcap': file });
    expect(r.code).toBe(ExitCode.PROBLEMS_FOUND);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(
      /^2 127\.0\.0\.1:1701 -> 127\.0\.0\.1:1701 malformed at offset 2: .*L2TP_ERR_BAD_LENGTH/,
    );
    expect(lines[2]).toMatch(/^3 .* ZLB/);
  });

  it('a cut-off capture: the frames before are decoded, the file error goes to stderr, exit 2', () => {
    const whole = pcapFromL2tpUdp([zlb, zlb]);
    const r = run(['decode', '--pcap', 'c.pcap'], {
      'c.pcap': whole.subarray(0, whole.length - 5),
    });
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.out).toMatch(/^1 .* ZLB .*\n$/); // one line: no "malformed" datagram for the file
    expect(r.err).toMatch(
      /^pcap: 1 frames, 1 L2TP datagrams, 0 malformed, 0 failed checks\nl2tp-core decode: c\.pcap: pcap record 2 claims 40 bytes, 35 left \(file offset \d+\)\n$/,
    );
  });

  it.each([
    ['not a capture', ascii('hello, world!!!!!!!!!!!!!!!'), 'not a pcap or pcapng file (magic'],
    ['empty', new Uint8Array(0), 'not a capture file: empty file'],
    ['a pcap header cut short', pcapFromL2tpUdp([]).subarray(0, 10), 'pcap file header: needs 24'],
  ])('%s: stderr and exit 2, as for a missing file, nothing on stdout', (_, bytes, reason) => {
    for (const json of [[], ['--json']]) {
      const r = run(['decode', ...json, '--pcap', 'n'], { n: bytes });
      expect(r.code).toBe(ExitCode.USAGE);
      expect(r.out).toBe('');
      expect(r.err).toMatch(new RegExp(`^l2tp-core decode: n: ${reason.replace(/[()]/g, '\\$&')}`));
    }
  });

  it('Ethernet with a VLAN tag is read', () => {
    const eth = Uint8Array.from([
      ...new Uint8Array(12),
      0x81,
      0x00,
      0x00,
      0x0a,
      0x08,
      0x00,
      ...ipv4Packet(115, Uint8Array.from([0, 0, 0, 0, ...zlb.map((b, i) => (i === 1 ? 3 : b))])),
    ]);
    const r = run(['decode', '--pcap', 'e.pcap'], { 'e.pcap': writePcap([eth], { linkType: 1 }) });
    expect(r.out).toMatch(
      /^1 127\.0\.0\.1 -> 127\.0\.0\.1 \(ip\/115\) L2TPv3 ZLB \(ccid 0x00010002/,
    );
  });
});

describe('command line', () => {
  it('--help for the program and for decode, exit 0', () => {
    for (const argv of [['--help'], ['-h'], ['help'], ['decode', '--help'], ['help', 'decode']]) {
      const r = run(argv);
      expect(r.code).toBe(ExitCode.OK);
      expect(r.out).toMatch(/^Usage: l2tp-core/);
    }
    expect(run(['decode', '-h']).out).toContain('--secret S');
  });

  it('usage errors exit 2 with a message on stderr', () => {
    for (const argv of [
      [],
      ['nope'],
      ['decode'],
      ['decode', '--bogus', 'c802000c0000000000000000'],
      ['decode', '--port', '0', '--pcap', 'x'],
      ['decode', '--port', '1701', 'c802000c0000000000000000'],
      ['decode', '--encap', 'tcp', 'c802000c0000000000000000'],
      ['decode', '--pcap', `${FIXTURES}/xl2tpd/basic.pcap`, 'c802000c0000000000000000'],
      ['decode', '--pcap', `${FIXTURES}/cli/does-not-exist.pcap`],
      ['decode', '--secret'],
    ]) {
      const r = run(argv);
      expect(r.code, argv.join(' ')).toBe(ExitCode.USAGE);
      expect(r.out).toBe('');
      expect(r.err).not.toBe('');
    }
  });
});

// --- small capture builders for formats the test helper does not write -------------------------

/** A Linux cooked (v1) header for an IPv6 packet, then the packet. */
function sll(packet: Uint8Array): Uint8Array {
  const h = new Uint8Array(16);
  h[14] = 0x86;
  h[15] = 0xdd;
  return Uint8Array.from([...h, ...packet]);
}

/** IPv6 2001:db8::1 → 2001:db8::2, UDP (checksum 0 is fine for a reader) around `payload`. */
function ipv6Udp(payload: Uint8Array, srcPort: number, dstPort: number): Uint8Array {
  const udpLen = 8 + payload.length;
  const ip = new Uint8Array(40 + udpLen);
  const v = new DataView(ip.buffer);
  ip[0] = 0x60;
  v.setUint16(4, udpLen);
  ip[6] = 17;
  ip[7] = 64;
  ip.set(hex`20010db8000000000000000000000001`, 8);
  ip.set(hex`20010db8000000000000000000000002`, 24);
  v.setUint16(40, srcPort);
  v.setUint16(42, dstPort);
  v.setUint16(44, udpLen);
  ip.set(payload, 48);
  return ip;
}

/** A little-endian pcapng: one SHB, one IDB per distinct link type, one EPB per frame. */
function pcapng(frames: readonly (readonly [number, Uint8Array])[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  const block = (type: number, body: Uint8Array) => {
    const padded = (body.length + 3) & ~3;
    const b = new Uint8Array(12 + padded);
    const v = new DataView(b.buffer);
    v.setUint32(0, type, true);
    v.setUint32(4, b.length, true);
    b.set(body, 8);
    v.setUint32(b.length - 4, b.length, true);
    blocks.push(b);
  };
  const shb = new Uint8Array(16);
  new DataView(shb.buffer).setUint32(0, 0x1a2b3c4d, true);
  new DataView(shb.buffer).setUint16(4, 1, true);
  new DataView(shb.buffer).setBigInt64(8, -1n, true); // section length unknown
  block(0x0a0d0d0a, shb);
  const ifaces: number[] = [];
  for (const [link] of frames) {
    if (ifaces.includes(link)) continue;
    ifaces.push(link);
    const idb = new Uint8Array(8);
    new DataView(idb.buffer).setUint16(0, link, true);
    new DataView(idb.buffer).setUint32(4, 65535, true);
    block(1, idb);
  }
  for (const [link, data] of frames) {
    const epb = new Uint8Array(20 + data.length);
    const v = new DataView(epb.buffer);
    v.setUint32(0, ifaces.indexOf(link), true);
    v.setUint32(12, data.length, true);
    v.setUint32(16, data.length, true);
    epb.set(data, 20);
    block(6, epb);
  }
  return Uint8Array.from(blocks.flatMap((b) => [...b]));
}
