/**
 * Proves the interop harness before the codec leans on it: the xl2tpd fixtures match their pcaps
 * byte for byte, tshark reads the real captures cleanly (right message types, Ns/Nr, ids, no
 * expert items), and a pcap re-written by test/helpers/pcap.ts from the fixture hex is dissected
 * exactly like the original capture. Also checks that the harness does notice malformed input.
 * tshark parts are skipped when tshark is missing (scripts/install-peers.sh installs it).
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  bytesOf,
  PROL2TP_V3_SCCRQ,
  XL2TPD_AUTH,
  XL2TPD_AUTH_SECRET,
  XL2TPD_BASIC,
  XL2TPD_CAPTURES,
  XL2TPD_MESSAGES,
  type Xl2tpdMessage,
  type Xl2tpdMessageName,
  xl2tpdMessage,
} from '../fixtures/xl2tpd.js';
import { hex, toHex } from '../helpers/hex.js';
import {
  ipPacketsFromPcap,
  LinkType,
  pcapFromL2tpIp,
  pcapFromL2tpUdp,
  readPcap,
  udpPayloadsFromPcap,
  writePcap,
} from '../helpers/pcap.js';
import {
  type TsharkL2tp,
  type TsharkPacket,
  tsharkAvailable,
  tsharkDecode,
  tsharkDecodeL2tpIp,
  tsharkDecodeL2tpUdp,
  tsharkDecodePcap,
} from '../helpers/tshark.js';

type Capture = Xl2tpdMessage['capture'];
const CAPTURES: readonly Capture[] = ['basic.pcap', 'auth.pcap'];
const pcapPath = (c: Capture) => fileURLToPath(new URL(`../fixtures/xl2tpd/${c}`, import.meta.url));
const decodeAs = (c: Capture) => [`udp.port==${XL2TPD_CAPTURES[c].lnsPort},l2tp`];
const messagesOf = (c: Capture) => XL2TPD_MESSAGES.filter((m) => m.capture === c);

// RFC 2661 §3.2 Message Type values.
const TYPE: Readonly<Record<Exclude<Xl2tpdMessageName, 'ZLB'>, number>> = {
  SCCRQ: 1,
  SCCRP: 2,
  SCCCN: 3,
  StopCCN: 4,
  HELLO: 6,
  ICRQ: 10,
  ICRP: 11,
  ICCN: 12,
  CDN: 14,
};

/** The fixture message as the UDP datagram it was captured in (same ports and direction). */
function datagramOf(m: Xl2tpdMessage) {
  const { lnsPort, lacPort } = XL2TPD_CAPTURES[m.capture];
  return {
    payload: bytesOf(m),
    srcPort: m.from === 'LNS' ? lnsPort : lacPort,
    dstPort: m.from === 'LNS' ? lacPort : lnsPort,
  };
}

/** What tshark says about a packet, without the PDML positions (which depend on link headers). */
function l2tpView(l: TsharkL2tp | undefined) {
  if (l === undefined) return undefined;
  const { node: _node, ...rest } = l;
  return rest;
}

function avpValue(m: Xl2tpdMessage, type: number): Uint8Array {
  // AVP walk over the fixture bytes: 6-byte header, then the value (RFC 2661 §4.1).
  const b = bytesOf(m);
  const v = new DataView(b.buffer);
  for (let off = 12; off + 6 <= b.length; ) {
    const len = v.getUint16(off) & 0x3ff;
    if (v.getUint16(off + 4) === type) return b.subarray(off + 6, off + len);
    off += len;
  }
  throw new Error(`no AVP ${type} in ${m.capture} frame ${m.frame}`);
}

describe('xl2tpd fixtures against their pcaps', () => {
  it.each(CAPTURES)('%s: every UDP payload equals the fixture hex, in frame order', (c) => {
    const grams = udpPayloadsFromPcap(readFileSync(pcapPath(c)));
    const fixtures = messagesOf(c);
    expect(grams.map((g) => g.frame)).toEqual(fixtures.map((m) => m.frame));
    const { lnsPort } = XL2TPD_CAPTURES[c];
    for (const [i, g] of grams.entries()) {
      const m = fixtures[i] as Xl2tpdMessage;
      expect(toHex(g.payload), `${c} frame ${g.frame}`).toBe(toHex(bytesOf(m)));
      expect(g.srcPort === lnsPort ? 'LNS' : 'LAC').toBe(m.from);
      expect([g.src, g.dst]).toEqual(['127.0.0.1', '127.0.0.1']);
    }
  });

  it('the annotated header fields agree with the bytes (RFC 2661 §3.1 control header)', () => {
    for (const m of XL2TPD_MESSAGES) {
      const v = new DataView(bytesOf(m).buffer);
      expect(v.getUint16(0), `${m.capture} #${m.frame}`).toBe(0xc802); // T L S, Ver 2
      expect(v.getUint16(2)).toBe(bytesOf(m).length);
      expect([v.getUint16(4), v.getUint16(6), v.getUint16(8), v.getUint16(10)]).toEqual([
        m.tunnelId,
        m.sessionId,
        m.ns,
        m.nr,
      ]);
      if (m.name === 'ZLB') expect(v.byteLength).toBe(12);
      else expect(v.getUint16(18)).toBe(TYPE[m.name]); // first AVP is the Message Type
    }
  });

  it('basic.pcap holds all ten message types the codec needs', () => {
    const names = new Set(XL2TPD_BASIC.map((m) => m.name));
    expect([...names].sort()).toEqual(
      ['CDN', 'HELLO', 'ICCN', 'ICRP', 'ICRQ', 'SCCCN', 'SCCRP', 'SCCRQ', 'StopCCN', 'ZLB'].sort(),
    );
    expect(() => xl2tpdMessage('HELLO', 'auth.pcap')).toThrow(/no HELLO/);
  });

  it('auth.pcap Challenge Responses verify with the recorded secret (RFC 2661 §4.2)', () => {
    const response = (type: number, challenge: Uint8Array) =>
      createHash('md5').update(Uint8Array.of(type)).update(XL2TPD_AUTH_SECRET).update(challenge);
    const sccrq = xl2tpdMessage('SCCRQ', 'auth.pcap');
    const sccrp = xl2tpdMessage('SCCRP', 'auth.pcap');
    const scccn = xl2tpdMessage('SCCCN', 'auth.pcap');
    // Challenge is AVP 11, Challenge Response AVP 13; the type byte is the responder's message.
    expect(toHex(avpValue(sccrp, 13))).toBe(toHex(response(2, avpValue(sccrq, 11)).digest()));
    expect(toHex(avpValue(scccn, 13))).toBe(toHex(response(3, avpValue(sccrp, 11)).digest()));
    expect(toHex(avpValue(scccn, 13))).not.toBe(toHex(response(2, avpValue(sccrp, 11)).digest()));
    // Every auth.pcap control message but ZLBs carries a Random Vector (AVP 36).
    for (const m of XL2TPD_AUTH.filter((x) => x.name !== 'ZLB')) {
      expect(avpValue(m, 36).length, `${m.name} #${m.frame}`).toBe(16);
    }
  });
});

describe('pcap helper', () => {
  it('reads back what it writes: link types 228, 101, 1 and 113', () => {
    const payload = bytesOf(xl2tpdMessage('SCCRQ'));
    const written = pcapFromL2tpUdp([
      { payload, srcPort: 1234, src: '192.0.2.1', dst: '192.0.2.2' },
    ]);
    expect(readPcap(written).linkType).toBe(LinkType.IPV4);
    const ip = readPcap(written).records[0]?.data as Uint8Array;
    const eth = new Uint8Array(14 + ip.length);
    eth.set([0x08, 0x00], 12);
    eth.set(ip, 14);
    const sll = new Uint8Array(16 + ip.length);
    sll.set([0x08, 0x00], 14);
    sll.set(ip, 16);
    const files = [
      written,
      writePcap([ip], { linkType: LinkType.RAW }),
      writePcap([eth], { linkType: LinkType.ETHERNET }),
      writePcap([sll], { linkType: LinkType.LINUX_SLL }),
    ];
    for (const f of files) {
      const [g, ...rest] = udpPayloadsFromPcap(f);
      expect(rest).toEqual([]);
      expect(g && { ...g, payload: toHex(g.payload) }).toEqual({
        frame: 1,
        src: '192.0.2.1',
        dst: '192.0.2.2',
        srcPort: 1234,
        dstPort: 1701,
        payload: toHex(payload),
      });
    }
  });

  it('reads big-endian and nanosecond files, and rejects pcapng and truncation', () => {
    const le = writePcap([Uint8Array.of(1, 2, 3)], { linkType: LinkType.RAW, startSec: 7 });
    // Same file in big-endian, nanosecond flavour: swap every 32/16-bit header field by hand.
    const be = new Uint8Array(le.length);
    const lv = new DataView(le.buffer);
    const bv = new DataView(be.buffer);
    bv.setUint32(0, 0xa1b23c4d);
    bv.setUint16(4, lv.getUint16(4, true));
    bv.setUint16(6, lv.getUint16(6, true));
    for (const at of [16, 20, 24, 28, 32, 36]) bv.setUint32(at, lv.getUint32(at, true));
    bv.setUint32(28, 5_000); // 5000 ns
    be.set(le.subarray(40), 40);
    const f = readPcap(be);
    expect(f.linkType).toBe(LinkType.RAW);
    expect(f.records.map((r) => [r.tsSec, r.tsUsec, [...r.data]])).toEqual([[7, 5, [1, 2, 3]]]);
    expect(() => readPcap(hex`0a0d0d0a 1c000000 4d3c2b1a`)).toThrow(/pcapng/);
    expect(() => readPcap(le.subarray(0, le.length - 1))).toThrow(/past the end/);
    expect(() => readPcap(le.subarray(0, 10))).toThrow(/too short/);
  });

  it('writes L2TPv3-over-IP packets as IPv4 protocol 115 with a valid header checksum', () => {
    const v3 = hex`00000000  c803 000c 0000 0000 0000 0000`; // Session 0, then a v3 ZLB
    const [p] = ipPacketsFromPcap(pcapFromL2tpIp([v3]));
    expect(p?.protocol).toBe(115);
    expect(toHex(p?.payload ?? new Uint8Array())).toBe(toHex(v3));
    const ip = readPcap(pcapFromL2tpIp([v3])).records[0]?.data as Uint8Array;
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += ((ip[i] ?? 0) << 8) | (ip[i + 1] ?? 0);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    expect(sum).toBe(0xffff); // RFC 1071: a correct header sums to all ones
  });
});

describe.skipIf(!tsharkAvailable())('tshark on the real xl2tpd captures', () => {
  const decoded = new Map<Capture, TsharkPacket[]>();
  const decode = (c: Capture) => {
    let d = decoded.get(c);
    if (d === undefined) {
      d = tsharkDecode(pcapPath(c), { decodeAs: decodeAs(c) });
      decoded.set(c, d);
    }
    return d;
  };

  it.each(CAPTURES)('%s: message type, Ns/Nr and ids as recorded, no expert items', (c) => {
    const packets = decode(c);
    const fixtures = messagesOf(c);
    expect(packets).toHaveLength(fixtures.length);
    for (const [i, p] of packets.entries()) {
      const m = fixtures[i] as Xl2tpdMessage;
      const at = `${c} frame ${p.frame}`;
      expect(p.frame, at).toBe(m.frame);
      expect(p.protocols, at).toBe('eth:ethertype:ip:udp:l2tp');
      expect(p.expert, at).toEqual([]);
      expect(p.malformed, at).toBe(false);
      const l = p.l2tp;
      expect(l && [l.version, l.control, l.tunnelId, l.sessionId, l.ns, l.nr], at).toEqual([
        2,
        true,
        m.tunnelId,
        m.sessionId,
        m.ns,
        m.nr,
      ]);
      if (m.name === 'ZLB') {
        expect([l?.messageName, l?.messageType, l?.avps], at).toEqual(['ZLB', undefined, []]);
      } else {
        expect(l?.messageType, at).toBe(TYPE[m.name]);
        // AVP headers as tshark read them add up to the message (RFC 2661 §4.1).
        const total = (l?.avps ?? []).reduce((n, a) => n + a.length, 12);
        expect(total, at).toBe(bytesOf(m).length);
        expect(
          l?.avps.every((a) => a.vendorId === 0 && !a.hidden),
          at,
        ).toBe(true);
      }
    }
  });

  it('shows the values xl2tpd sent, as strings', () => {
    const sccrq = decode('basic.pcap')[0]?.l2tp;
    expect(sccrq?.messageName).toBe('Start_Control_Request');
    expect(sccrq?.avps.map((a) => a.type)).toEqual([0, 2, 3, 4, 6, 7, 8, 9, 10]);
    expect(sccrq?.avps.map((a) => a.mandatory)).toEqual([1, 1, 1, 1, 0, 1, 0, 1, 1].map(Boolean));
    const host = sccrq?.avps.find((a) => a.type === 7);
    expect(host?.values).toEqual([
      { field: 'l2tp.avp.host_name', show: 'lac.test', showname: 'Host Name: lac.test' },
    ]);
    expect(host?.raw).toBe('800e000000076c61632e74657374');
    const stop = decode('basic.pcap').find((p) => p.l2tp?.messageType === 4)?.l2tp;
    expect(stop?.messageName).toBe('Stop_Control_Notification');
    expect(stop?.avps.find((a) => a.type === 1)?.values.map((v) => v.show)).toContain('Goodbye!');
    const auth = decode('auth.pcap')[1]?.l2tp;
    expect(auth?.avps.map((a) => a.label)).toContain('Challenge Response AVP');
  });

  it.each(CAPTURES)('%s re-written from the fixture hex decodes like the original', (c) => {
    const original = decode(c);
    const rewritten = tsharkDecodeL2tpUdp(messagesOf(c).map(datagramOf), {
      decodeAs: decodeAs(c),
    });
    expect(rewritten.map((p) => p.protocols)).toEqual(original.map(() => 'ip:udp:l2tp'));
    expect(rewritten.map((p) => l2tpView(p.l2tp))).toEqual(original.map((p) => l2tpView(p.l2tp)));
    expect(rewritten.flatMap((p) => p.expert)).toEqual([]);
  });

  it('on the default port 1701 tshark needs no decode-as', () => {
    const packets = tsharkDecodeL2tpUdp(XL2TPD_BASIC.map(bytesOf));
    expect(packets.map((p) => p.l2tp?.messageType ?? p.l2tp?.messageName)).toEqual(
      XL2TPD_BASIC.map((m) => (m.name === 'ZLB' ? 'ZLB' : TYPE[m.name])),
    );
  });

  it('notices malformed input (so "no expert items" above means something)', () => {
    const sccrq = bytesOf(xl2tpdMessage('SCCRQ'));
    const shortAvp = sccrq.slice();
    shortAvp[12 + 1] = 4; // Message Type AVP length 8 -> 4 (< 6, RFC 2661 §4.1)
    const truncated = sccrq.slice(0, sccrq.length - 3); // Length field now exceeds the datagram
    const [a, b] = tsharkDecodeL2tpUdp([shortAvp, truncated]);
    expect(a?.expert.some((e) => e.severity === 'Error' && /AVP length/.test(e.message))).toBe(
      true,
    );
    expect(b?.malformed).toBe(true);
    expect(b?.expert.some((e) => e.group === 'Malformed')).toBe(true);
  });

  it('reads the ProL2TP L2TPv3 SCCRQ cleanly over UDP and over IP (RFC 3931 §4.1)', () => {
    const msg = bytesOf(PROL2TP_V3_SCCRQ);
    const overIp = new Uint8Array(4 + msg.length); // Session ID 0 marks a control message
    overIp.set(msg, 4);
    const [udp] = tsharkDecodeL2tpUdp([msg]);
    const [ip] = tsharkDecodeL2tpIp([overIp]);
    for (const p of [udp, ip]) {
      expect(p?.expert).toEqual([]);
      expect(p?.malformed).toBe(false);
      const l = p?.l2tp;
      expect(l && [l.version, l.control, l.messageType, l.ccid, l.length]).toEqual([
        3,
        true,
        1,
        0,
        msg.length,
      ]);
      expect(l?.avps.map((a) => [a.type, a.mandatory])).toEqual([
        [0, true],
        [7, true],
        [8, false],
        [10, true],
        [60, false],
        [61, false],
        [62, false],
      ]);
      expect(l?.avps.find((a) => a.type === 8)?.values[0]?.show).toBe(PROL2TP_V3_SCCRQ.sender);
    }
    const { v3SessionId, ...ipRest } = l2tpView(ip?.l2tp) ?? {};
    expect(v3SessionId).toBe(0);
    expect(ipRest).toEqual(l2tpView(udp?.l2tp));
  });

  it('dissects L2TPv3 over IP (protocol 115) written by the pcap helper', () => {
    // A v3 ZLB ACK-less header: Session ID 0, T L S Ver 3, Length 12, CCID 0x89abcdef, Ns 1, Nr 2.
    const [p] = tsharkDecodeL2tpIp([hex`00000000 c803 000c 89abcdef 0001 0002`]);
    expect(p?.protocols).toBe('ip:l2tp');
    expect(p?.expert).toEqual([]);
    const l = p?.l2tp;
    expect(l && [l.version, l.control, l.ccid, l.v3SessionId, l.ns, l.nr, l.messageName]).toEqual([
      3,
      true,
      0x89abcdef,
      0,
      1,
      2,
      'ZLB',
    ]);
    // The same pcap bytes through tsharkDecodePcap give the same answer.
    const again = tsharkDecodePcap(pcapFromL2tpIp([hex`00000000 c803 000c 89abcdef 0001 0002`]));
    expect(l2tpView(again[0]?.l2tp)).toEqual(l2tpView(l));
  });
});
