/**
 * The `--pcap` writer: file layout (LINKTYPE_RAW, record headers), IPv4/IPv6 + UDP headers with
 * lengths and checksums that verify (RFC 1071 sums to 0xffff), a round trip through the
 * decoder's capture reader for arbitrary payloads and addresses, bounded buffering, and the
 * recording transport (every send and receive, scatter/gather sends as one datagram).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/cli/capture.js';
import {
  internetChecksum,
  ipv6Bytes,
  LINKTYPE_RAW,
  PcapWriter,
  recordingTransport,
  udpPacket,
} from '../../src/cli/pcap-writer.js';
import type { DatagramHandler, DatagramTransport, PeerAddress } from '../../src/transport.js';
import { hex } from '../helpers/hex.js';

const concat = (chunks: Uint8Array[]) => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
};

function capture(records: [Uint8Array, number][], bufferBytes?: number) {
  const chunks: Uint8Array[] = [];
  const w = new PcapWriter((c) => chunks.push(c), bufferBytes === undefined ? {} : { bufferBytes });
  for (const [p, t] of records) w.record(p, t);
  w.close();
  return { bytes: concat(chunks), chunks, writer: w };
}

describe('udpPacket', () => {
  it('IPv4: header fields, lengths and checksums (golden bytes)', () => {
    const p = udpPacket(
      { address: '127.0.0.1', port: 1701 },
      { address: '127.0.0.2', port: 17010 },
      hex`c8 02 00 0c 00 00 00 00 00 00 00 00`,
      7,
    );
    expect(p).toEqual(hex`
      45 00 00 28              // version 4, IHL 5; total length 40
      00 07 40 00              // IP ID 7, DF
      40 11 3c bb              // TTL 64, UDP, header checksum
      7f 00 00 01 7f 00 00 02  // 127.0.0.1 → 127.0.0.2
      06 a5 42 72 00 14 f0 9c  // ports 1701 → 17010, UDP length 20, checksum
      c8 02 00 0c 00 00 00 00 00 00 00 00  // the L2TP ZLB
    `);
    expect(internetChecksum([p.subarray(0, 20)])).toBe(0);
  });

  it('IPv6 (and IPv4-mapped stays IPv4): fixed header, payload length, UDP checksum', () => {
    const p = udpPacket({ address: '::1', port: 1 }, { address: 'fe80::2%lo', port: 2 }, [
      hex`01 02`,
      hex`03`,
    ]);
    expect(p.length).toBe(40 + 8 + 3);
    expect(p[0]).toBe(0x60);
    expect(new DataView(p.buffer).getUint16(4)).toBe(11); // payload length
    expect(p[6]).toBe(17);
    expect(p.subarray(8, 24)).toEqual(ipv6Bytes('::1'));
    expect(p.subarray(24, 40)).toEqual(hex`fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 02`);
    const mapped = udpPacket(
      { address: '::ffff:10.0.0.1', port: 1 },
      { address: '10.0.0.2', port: 2 },
      hex`00`,
    );
    expect(mapped[0]).toBe(0x45);
  });

  it('ipv6Bytes reads embedded IPv4 tails and full forms', () => {
    expect(ipv6Bytes('::ffff:1.2.3.4')).toEqual(hex`00000000 00000000 0000ffff 01020304`);
    expect(ipv6Bytes('2001:db8:0:0:1:0:0:1')).toEqual(hex`20010db8 00000000 00010000 00000001`);
    expect(ipv6Bytes('fe80::1%eth0')).toEqual(hex`fe800000 00000000 00000000 00000001`);
  });

  test.prop([
    fc.uint8Array({ maxLength: 1500 }),
    fc.oneof(fc.ipV4(), fc.ipV6()),
    fc.oneof(fc.ipV4(), fc.ipV6()),
    fc.integer({ min: 1, max: 65535 }),
    fc.integer({ min: 1, max: 65535 }),
  ])(
    'round trip through the capture reader; UDP checksum verifies',
    (payload, a, b, sport, dport) => {
      const p = udpPacket({ address: a, port: sport }, { address: b, port: dport }, payload, 1);
      const { bytes } = capture([[p, 1_700_000_000_123.456]]);
      const c = readCapture(bytes, { ports: [sport] });
      expect(c.problems).toEqual([]);
      expect(c.packets).toHaveLength(1);
      const got = c.packets[0];
      expect(got?.payload).toEqual(payload);
      expect([got?.srcPort, got?.dstPort]).toEqual([sport, dport]);
      // One's-complement sum over pseudo-header and UDP datagram is 0xffff (checksum 0).
      const v4 = p[0] === 0x45;
      const ipLen = v4 ? 20 : 40;
      const udp = p.subarray(ipLen);
      const src = v4 ? p.subarray(12, 16) : p.subarray(8, 24);
      const dst = v4 ? p.subarray(16, 20) : p.subarray(24, 40);
      expect(internetChecksum([src, dst, udp], 17 + udp.length)).toBe(0);
      expect(new DataView(udp.buffer, udp.byteOffset).getUint16(6)).not.toBe(0);
    },
  );
});

describe('PcapWriter', () => {
  it('file header (LINKTYPE_RAW) and record header with the timestamp in µs', () => {
    const { bytes, writer } = capture([[hex`45 00`, 1_700_000_001_234.567]]);
    const v = new DataView(bytes.buffer);
    expect(v.getUint32(0, true)).toBe(0xa1b2c3d4);
    expect(v.getUint32(20, true)).toBe(LINKTYPE_RAW);
    expect(v.getUint32(24, true)).toBe(1_700_000_001);
    expect(v.getUint32(28, true)).toBe(234_567);
    expect([v.getUint32(32, true), v.getUint32(36, true)]).toEqual([2, 2]);
    expect(bytes.length).toBe(24 + 16 + 2);
    expect(writer.records).toBe(1);
  });

  it('keeps at most bufferBytes in memory and loses nothing', () => {
    const chunks: Uint8Array[] = [];
    const w = new PcapWriter((c) => chunks.push(c), { bufferBytes: 4096 });
    const packet = new Uint8Array(1000).fill(0x45);
    let maxBuffered = 0;
    for (let i = 0; i < 50; i++) {
      w.record(packet, 1e12 + i);
      maxBuffered = Math.max(maxBuffered, w.buffered);
    }
    expect(maxBuffered).toBeLessThanOrEqual(4096);
    expect(chunks.length).toBeGreaterThan(10);
    w.close();
    w.record(packet, 0); // ignored after close
    const total = concat(chunks);
    expect(total.length).toBe(24 + 50 * (16 + 1000));
    expect(w.records).toBe(50);
  });
});

describe('recordingTransport', () => {
  it('records sends (scatter/gather as one datagram) and receives, then forwards them', () => {
    const sent: unknown[] = [];
    let deliver: DatagramHandler = () => {};
    const inner: DatagramTransport = {
      send: (data, peer) => sent.push([data, peer]),
      onDatagram: (h) => {
        deliver = h;
        return () => {};
      },
      close: () => {},
    };
    const chunks: Uint8Array[] = [];
    const writer = new PcapWriter((c) => chunks.push(c));
    let clock = 1_700_000_000_000;
    const t = recordingTransport(
      inner,
      { address: '127.0.0.1', port: 1701 },
      writer,
      () => clock++,
    );
    const seen: Uint8Array[] = [];
    t.onDatagram((b) => seen.push(b));
    const peer: PeerAddress = { address: '127.0.0.9', port: 40000 };
    t.send([hex`c8 02`, hex`00 08`], peer);
    deliver(hex`c8 02 00 08`, peer);
    writer.close();
    expect(sent).toHaveLength(1);
    expect(seen).toEqual([hex`c8 02 00 08`]);
    const c = readCapture(concat(chunks), { ports: [1701] });
    expect(
      c.packets.map((p) => [p.src, p.srcPort, p.dst, p.dstPort, Array.from(p.payload)]),
    ).toEqual([
      ['127.0.0.1', 1701, '127.0.0.9', 40000, [0xc8, 2, 0, 8]],
      ['127.0.0.9', 40000, '127.0.0.1', 1701, [0xc8, 2, 0, 8]],
    ]);
  });
});
