/**
 * The raw-IP DatagramTransport (L2TPv3 over IP, protocol 115) against a fake raw socket shaped
 * like `raw-socket` 1.8: IPv4 header validation and stripping (golden packets and properties),
 * copies out of the socket's reused receive buffer, counters, send joining and validation,
 * error routing, close. Ends with two StaticTunnelHosts in 'ip' encap over a fake IPv4 network.
 * The real socket in network namespaces: test/interop/ip-encap.test.ts.
 */
import { EventEmitter } from 'node:events';
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  type IpErrorContext,
  IpTransport,
  type IpTransportOptions,
  ipv4Payload,
  L2TP_IP_PROTOCOL,
  type RawSocketLike,
} from '../../src/node/ip.js';
import { StaticTunnelHost } from '../../src/static.js';
import type { PeerAddress } from '../../src/transport.js';
import { hex } from '../helpers/hex.js';

interface SentPacket {
  readonly buffer: Buffer;
  readonly offset: number;
  readonly length: number;
  readonly address: string;
  readonly callback: (error: Error | null | undefined, bytes: number) => void;
}

/**
 * A raw socket stand-in. Like raw-socket it receives into one reused buffer and emits a view of
 * it (`deliver` overwrites that buffer afterwards, so kept views would show it).
 */
class FakeRawSocket extends EventEmitter implements RawSocketLike {
  readonly sent: SentPacket[] = [];
  closes = 0;
  readonly #recvBuffer = Buffer.alloc(4096);

  send(
    buffer: Buffer,
    offset: number,
    length: number,
    address: string,
    callback: (error: Error | null | undefined, bytes: number) => void,
  ): this {
    this.sent.push({ buffer, offset, length, address, callback });
    return this;
  }

  close(): this {
    this.closes++;
    return this;
  }

  /** Emits `packet` as received from `source`, then scribbles over the receive buffer. */
  deliver(packet: Uint8Array, source = '192.0.2.2'): void {
    const n = Math.min(packet.length, this.#recvBuffer.length);
    this.#recvBuffer.set(packet.subarray(0, n));
    this.emit('message', this.#recvBuffer.subarray(0, n), source);
    this.#recvBuffer.fill(0xee, 0, n);
  }
}

/** A minimal IPv4 header (RFC 791 §3.1) for `payload`; checksum left 0 (not checked here). */
function ipv4(payload: Uint8Array, options: { protocol?: number; optionWords?: number } = {}) {
  const words = 5 + (options.optionWords ?? 0);
  const header = new Uint8Array(words * 4);
  const total = header.length + payload.length;
  header[0] = 0x40 | words;
  header[2] = total >>> 8;
  header[3] = total & 0xff;
  header[8] = 64; // TTL
  header[9] = options.protocol ?? L2TP_IP_PROTOCOL;
  header.set([192, 0, 2, 2], 12);
  header.set([192, 0, 2, 1], 16);
  const out = new Uint8Array(total);
  out.set(header);
  out.set(payload, header.length);
  return out;
}

function transport(options: IpTransportOptions = {}) {
  const socket = new FakeRawSocket();
  const errors: [Error, IpErrorContext][] = [];
  const t = new IpTransport(socket, { onError: (e, c) => errors.push([e, c]), ...options });
  const got: { bytes: Uint8Array; from: PeerAddress }[] = [];
  const unsubscribe = t.onDatagram((bytes, from) => got.push({ bytes, from }));
  return { socket, t, errors, got, unsubscribe };
}

// An L2TPv3-over-IP data packet as captured: IPv4 header (20), Session ID 0x004f4c53, Default
// L2-Specific Sublayer with S set and Ns 1, two payload octets.
const CAPTURED = hex`
  45 00 00 1e   // Version 4, IHL 5; TOS 0; Total Length 30
  12 34 40 00   // Identification; DF, fragment offset 0
  40 73 00 00   // TTL 64, Protocol 115 (L2TP), checksum (not checked)
  c0 a8 01 02   // source 192.168.1.2
  c0 a8 01 01   // destination 192.168.1.1
  00 4f 4b d3   // Session ID 5196755
  40 00 00 01   // Default L2SS: S, Sequence Number 1
  ab cd         // payload
`;

describe('ipv4Payload', () => {
  it('strips a 20-octet header of a captured packet (view, no copy)', () => {
    const payload = ipv4Payload(CAPTURED, 115);
    expect(payload).toEqual(hex`00 4f 4b d3  40 00 00 01  ab cd`);
    expect(payload?.buffer).toBe(CAPTURED.buffer);
    expect(payload?.byteOffset).toBe(20);
  });

  it('strips header options too (IHL 7 → 28 octets)', () => {
    const body = hex`00 00 00 80  de ad`;
    const packet = ipv4(body, { optionWords: 2 });
    expect(packet[0]).toBe(0x47);
    expect(ipv4Payload(packet)).toEqual(body);
  });

  it('ends at Total Length when the buffer is longer', () => {
    const packet = new Uint8Array([...CAPTURED, 0xff, 0xff]);
    expect(ipv4Payload(packet)).toEqual(hex`00 4f 4b d3  40 00 00 01  ab cd`);
  });

  it('accepts a header with no payload', () => {
    expect(ipv4Payload(ipv4(new Uint8Array(0)))).toEqual(new Uint8Array(0));
  });

  const bad: [string, (p: Uint8Array) => Uint8Array][] = [
    ['shorter than 20 octets', (p) => p.subarray(0, 19)],
    ['version 6', (p) => p.map((b, i) => (i === 0 ? 0x65 : b))],
    ['IHL 4', (p) => p.map((b, i) => (i === 0 ? 0x44 : b))],
    ['IHL past the end', (p) => p.map((b, i) => (i === 0 ? 0x4f : b))],
    ['Total Length past the end (truncated by the socket)', (p) => p.subarray(0, 29)],
    ['Total Length inside the header', (p) => p.map((b, i) => (i === 3 ? 19 : b))],
    ['protocol 17', (p) => p.map((b, i) => (i === 9 ? 17 : b))],
  ];
  for (const [what, mangle] of bad) {
    it(`rejects ${what}`, () => {
      expect(ipv4Payload(mangle(CAPTURED), 115)).toBeUndefined();
    });
  }

  it('does not check the protocol when none is given', () => {
    expect(ipv4Payload(ipv4(hex`01`, { protocol: 17 }))).toEqual(hex`01`);
  });

  fcTest.prop([fc.uint8Array({ maxLength: 80 }), fc.option(fc.integer({ min: 0, max: 255 }))])(
    'is total: never throws, a view inside the input or undefined',
    (bytes, protocol) => {
      const out = ipv4Payload(bytes, protocol ?? undefined);
      if (out !== undefined) {
        expect(out.buffer).toBe(bytes.buffer);
        expect(out.byteOffset).toBeGreaterThanOrEqual(20);
        expect(out.byteOffset + out.length).toBeLessThanOrEqual(bytes.length);
        expect(out.byteOffset).toBe(((bytes[0] as number) & 0x0f) * 4);
      }
    },
  );

  fcTest.prop([fc.uint8Array({ maxLength: 1500 }), fc.integer({ min: 0, max: 10 })])(
    'returns exactly the payload of any well-formed packet',
    (payload, optionWords) => {
      expect(ipv4Payload(ipv4(payload, { optionWords }), 115)).toEqual(payload);
    },
  );
});

describe('IpTransport receive', () => {
  it('delivers the L2TP bytes without the IPv4 header, from port 0', () => {
    const { socket, t, got } = transport();
    socket.deliver(CAPTURED, '192.168.1.2');
    expect(got).toHaveLength(1);
    expect(got[0]?.bytes).toEqual(hex`00 4f 4b d3  40 00 00 01  ab cd`);
    expect(got[0]?.bytes.constructor).toBe(Uint8Array);
    expect(got[0]?.from).toEqual({ address: '192.168.1.2', port: 0, family: 'IPv4' });
    expect(t.stats()).toEqual({
      datagramsSent: 0,
      bytesSent: 0,
      datagramsReceived: 1,
      bytesReceived: 10,
      badHeaders: 0,
      errors: 0,
    });
  });

  it('copies out of the socket buffer, which raw-socket reuses', () => {
    const { socket, got } = transport();
    socket.deliver(ipv4(hex`00 00 00 01  11 22`));
    socket.deliver(ipv4(hex`00 00 00 02  33 44`));
    // FakeRawSocket overwrote its buffer with 0xee after each delivery.
    expect(got.map((g) => g.bytes)).toEqual([hex`00 00 00 01  11 22`, hex`00 00 00 02  33 44`]);
  });

  it('drops and counts bad headers, never throws, never calls handlers', () => {
    const { socket, t, got, errors } = transport();
    socket.deliver(hex`45 00`);
    socket.deliver(ipv4(hex`00 00 00 01`, { protocol: 47 }));
    socket.deliver(CAPTURED.subarray(0, 29));
    expect(got).toHaveLength(0);
    expect(errors).toHaveLength(0);
    expect(t.stats()).toMatchObject({ datagramsReceived: 0, badHeaders: 3, bytesReceived: 0 });
  });

  it('checks the configured protocol', () => {
    const { socket, got, t } = transport({ protocol: 253 });
    socket.deliver(CAPTURED);
    socket.deliver(ipv4(hex`77`, { protocol: 253 }));
    expect(got.map((g) => g.bytes)).toEqual([hex`77`]);
    expect(t.stats().badHeaders).toBe(1);
  });

  it('IPv6 raw sockets deliver no header: bytes pass unchanged', () => {
    const { socket, got, t } = transport({ family: 'IPv6' });
    socket.deliver(hex`00 00 00 80  aa`, 'fd00::2');
    socket.deliver(new Uint8Array(0), 'fd00::2');
    expect(got.map((g) => g.bytes)).toEqual([hex`00 00 00 80  aa`, new Uint8Array(0)]);
    expect(got[0]?.from).toEqual({ address: 'fd00::2', port: 0, family: 'IPv6' });
    expect(t.stats()).toMatchObject({ datagramsReceived: 2, bytesReceived: 5, badHeaders: 0 });
  });

  fcTest.prop([
    fc.array(
      fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 64 }).map((p) => ipv4(p)),
      ),
      { maxLength: 20 },
    ),
  ])('is total on arbitrary bytes: every packet is delivered or counted', (packets) => {
    const { socket, t, got, errors } = transport();
    for (const p of packets) socket.deliver(p);
    const s = t.stats();
    expect(s.datagramsReceived + s.badHeaders).toBe(packets.length);
    expect(got).toHaveLength(s.datagramsReceived);
    expect(errors).toHaveLength(0);
    const expected = packets.flatMap((p) => {
      const payload = ipv4Payload(p, 115);
      return payload === undefined ? [] : [payload];
    });
    expect(got.map((g) => g.bytes)).toEqual(expected);
  });

  it('every handler sees every packet; a throwing handler is reported, not fatal', () => {
    const { socket, t, got, errors } = transport();
    const boom = new Error('boom');
    t.onDatagram(() => {
      throw boom;
    });
    const later: Uint8Array[] = [];
    t.onDatagram((bytes) => later.push(bytes));
    socket.deliver(CAPTURED, '192.168.1.2');
    expect(got).toHaveLength(1);
    expect(later).toHaveLength(1);
    expect(errors).toEqual([
      [boom, { op: 'handler', peer: { address: '192.168.1.2', port: 0, family: 'IPv4' } }],
    ]);
    expect(t.stats().errors).toBe(1);
  });

  it('unsubscribe stops one handler; with none left nothing is counted', () => {
    const { socket, t, got, unsubscribe } = transport();
    unsubscribe();
    unsubscribe();
    socket.deliver(CAPTURED);
    expect(got).toHaveLength(0);
    expect(t.stats().datagramsReceived).toBe(0);
  });

  it('a socket error reaches onError with op socket', () => {
    const { socket, errors, t } = transport();
    const e = new Error('EPERM');
    socket.emit('error', e);
    expect(errors).toEqual([[e, { op: 'socket' }]]);
    expect(t.stats().errors).toBe(1);
  });
});

describe('IpTransport send', () => {
  const peer: PeerAddress = { address: '192.0.2.2', port: 0 };

  it('passes a single array as a view, without copying', () => {
    const { socket, t } = transport();
    const backing = new Uint8Array(16);
    const data = backing.subarray(4, 10);
    t.send(data, peer);
    const s = socket.sent[0];
    expect(s?.buffer.buffer).toBe(backing.buffer);
    expect(s?.buffer.byteOffset).toBe(4);
    expect([s?.offset, s?.length, s?.address]).toEqual([0, 6, '192.0.2.2']);
  });

  it('joins [header, payload] into one packet and counts it when the socket confirms', () => {
    const { socket, t } = transport();
    t.send([hex`00 4f 4b d3  00 00 00 00`, hex`de ad be ef`], peer);
    const s = socket.sent[0] as SentPacket;
    expect(new Uint8Array(s.buffer.subarray(s.offset, s.offset + s.length))).toEqual(
      hex`00 4f 4b d3  00 00 00 00  de ad be ef`,
    );
    expect(t.stats().datagramsSent).toBe(0); // not before the callback
    s.callback(null, 12);
    expect(t.stats()).toMatchObject({ datagramsSent: 1, bytesSent: 12, errors: 0 });
  });

  it('ignores the port (IP has none)', () => {
    const { socket, t } = transport();
    t.send(hex`01`, { address: '192.0.2.9', port: 1701 });
    expect(socket.sent[0]?.address).toBe('192.0.2.9');
  });

  it('a failed send reaches onError with the peer, and is not counted as sent', () => {
    const { socket, t, errors } = transport();
    t.send(hex`01 02`, peer);
    const e = new Error('ENETUNREACH');
    socket.sent[0]?.callback(e, 0);
    expect(errors).toEqual([[e, { op: 'send', peer }]]);
    expect(t.stats()).toMatchObject({ datagramsSent: 0, bytesSent: 0, errors: 1 });
  });

  it('refuses addresses of the wrong family or not IP literals', () => {
    const v4 = transport().t;
    for (const address of ['fd00::1', 'localhost', '', '192.0.2']) {
      expect(() => v4.send(hex`01`, { address, port: 0 })).toThrow(UsageError);
    }
    const v6 = transport({ family: 'IPv6' }).t;
    expect(() => v6.send(hex`01`, { address: '192.0.2.1', port: 0 })).toThrow(UsageError);
    v6.send(hex`01`, { address: 'fd00::1', port: 0 });
  });

  it('refuses bad options', () => {
    const s = new FakeRawSocket();
    expect(() => new IpTransport(s, { protocol: 256 })).toThrow(UsageError);
    expect(() => new IpTransport(s, { protocol: 1.5 })).toThrow(UsageError);
    expect(() => new IpTransport(s, { family: 'IPX' as 'IPv4' })).toThrow(UsageError);
  });
});

describe('IpTransport close', () => {
  it('closes the socket once, then refuses sends and delivers nothing', () => {
    const { socket, t, got } = transport();
    expect(t.closed).toBe(false);
    t.close();
    t.close();
    expect(t.closed).toBe(true);
    expect(socket.closes).toBe(1);
    expect(() => t.send(hex`01`, { address: '192.0.2.2', port: 0 })).toThrow(UsageError);
    socket.deliver(CAPTURED);
    socket.emit('error', new Error('late'));
    expect(got).toHaveLength(0);
    expect(t.stats()).toMatchObject({ datagramsReceived: 0, errors: 0 });
  });

  it('a handler that closes the transport stops later handlers', () => {
    const { socket, t } = transport();
    let second = 0;
    t.onDatagram(() => t.close());
    t.onDatagram(() => second++);
    socket.deliver(CAPTURED);
    expect(second).toBe(0);
  });
});

describe('StaticTunnelHost with encap ip over IpTransport', () => {
  it('carries frames both ways with cookies and sequencing (fake IPv4 network)', () => {
    const a = new FakeRawSocket();
    const b = new FakeRawSocket();
    // The "network": each send is delivered to the other socket with an IPv4 header prepended.
    const wire = (from: FakeRawSocket, to: FakeRawSocket, source: string) => {
      const flush = () => {
        for (const s of from.sent.splice(0)) {
          to.deliver(ipv4(s.buffer.subarray(s.offset, s.offset + s.length)), source);
          s.callback(null, s.length);
        }
      };
      return flush;
    };
    const flushA = wire(a, b, '10.0.0.1');
    const flushB = wire(b, a, '10.0.0.2');
    const clock = { now: () => 0 };
    const rxA: Uint8Array[] = [];
    const rxB: Uint8Array[] = [];
    const hostA = new StaticTunnelHost({
      tunnel: { tunnel_id: 42, peer_tunnel_id: 45, encap: 'ip', remote: '10.0.0.2' },
      transport: new IpTransport(a),
      clock,
      onFrame: (f) => rxA.push(f),
    });
    const hostB = new StaticTunnelHost({
      tunnel: { tunnel_id: 45, peer_tunnel_id: 42, encap: 'ip', remote: '10.0.0.1' },
      transport: new IpTransport(b),
      clock,
      onFrame: (f) => rxB.push(f),
    });
    const sa = hostA.addSession({
      session_id: 128,
      peer_session_id: 5196755,
      cookie: '01020304',
      peer_cookie: '0a0b0c0d',
      seq: 'both',
    });
    const sb = hostB.addSession({
      session_id: 5196755,
      peer_session_id: 128,
      cookie: '0a0b0c0d',
      peer_cookie: '01020304',
      seq: 'both',
    });
    // Ethernet frames (the default pw_type): destination, source, EtherType, payload.
    const eth = (type: string, body: string) => hex`ffffffffffff 020000000001 ${type} ${body}`;
    const frames = [eth('0806', ''), eth('0800', 'aa bb'), eth('86dd', 'cc')];
    const reply = hex`020000000001 020000000002 0800 12 34`;
    for (const f of frames) hostA.send(sa, f);
    // On the wire: Session ID 5196755, cookie 01020304, Default L2SS with S and Ns 0.
    expect(new Uint8Array(a.sent[0]?.buffer ?? [])).toEqual(
      new Uint8Array([...hex`00 4f 4b d3  01 02 03 04  40 00 00 00`, ...(frames[0] ?? [])]),
    );
    flushA();
    hostB.send(sb, reply);
    flushB();
    expect(rxB).toEqual(frames);
    expect(rxA).toEqual([reply]);
    expect(sb.stats()).toMatchObject({ rxPackets: 3, rxErrors: 0, rxInvalid: 0 });
    expect(sa.stats()).toMatchObject({ txPackets: 3, rxPackets: 1, rxErrors: 0 });
    hostA.close();
    hostB.close();
    expect([a.closes, b.closes]).toEqual([1, 1]);
  });
});
