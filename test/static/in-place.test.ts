/**
 * Sending in place (StaticSession.sendInPlace, StaticTunnelHost.send with `inPlace`): the header
 * is written into the headroom before the frame and one contiguous view goes to the transport —
 * byte-identical to the scatter/gather packet, no copy. Also the host's receive fast path and its
 * int32 session keys (ids ≥ 2^31).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { StaticSession, type StaticSessionConfig, StaticTunnelHost } from '../../src/static.js';
import type { DatagramData, DatagramHandler, DatagramTransport } from '../../src/transport.js';

const A = { tunnel_id: 1, peer_tunnel_id: 2, session_id: 0x80000001, peer_session_id: 0xfffffffe };

/** An Ethernet frame at `headroom` octets into its own buffer (filled with 0xee before it). */
function framed(headroom: number, body: number[]): Uint8Array {
  const buf = new Uint8Array(headroom + 14 + body.length).fill(0xee);
  const frame = buf.subarray(headroom);
  frame.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00, ...body]);
  return frame;
}

const joined = (p: readonly [Uint8Array, Uint8Array] | undefined) => {
  if (p === undefined) throw new Error('refused');
  return Uint8Array.from([...p[0], ...p[1]]);
};

describe('StaticSession.sendInPlace', () => {
  test.each<[string, Partial<StaticSessionConfig>]>([
    ['no cookie, no sublayer', { l2spec_type: 'none' }],
    ['8-octet cookie, Default L2SS, seq both', { cookie: '0102030405060708', seq: 'both' }],
    ['4-octet cookie, offset 3, encap ip', { cookie: 'aabbccdd', offset: 3, encap: 'ip' }],
    ['PPP with FF 03', { pw_type: 'ppp', pw_options: { addressControl: true } }],
  ])('%s: same bytes as send, in the frame’s own buffer', (_, config) => {
    const a = new StaticSession({ ...A, ...config });
    const b = new StaticSession({ ...A, ...config });
    const frame = framed(a.headerLength + 5, [1, 2, 3]);
    if (config.pw_type === 'ppp') frame.set([0xc0, 0x21, 9, 1, 0, 8]); // LCP Echo-Request
    const packet = a.sendInPlace(frame, 0);
    expect(packet).toBeDefined();
    if (packet === undefined) return;
    expect(packet.buffer).toBe(frame.buffer); // no copy
    expect(packet.byteOffset).toBe(frame.byteOffset - a.headerLength);
    expect(packet.length).toBe(a.headerLength + frame.length);
    expect(packet).toEqual(joined(b.send(frame, 0)));
    expect(a.stats()).toMatchObject({ txPackets: 1, txBytes: frame.length, txErrors: 0 });
  });

  test('Ns advances exactly as with send, mixing both', () => {
    const a = new StaticSession({ ...A, seq: 'send' });
    const b = new StaticSession({ ...A, seq: 'send' });
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 40 }), (modes) => {
        for (const inPlace of modes) {
          const f = framed(64, [7]);
          const got = inPlace ? a.sendInPlace(f, 0) : joined(a.send(f, 0));
          expect(got).toEqual(joined(b.send(framed(0, [7]), 0)));
        }
      }),
    );
  });

  test('too little headroom is a UsageError and changes nothing; refused frames count tx_errors', () => {
    const a = new StaticSession({ ...A, cookie: '0102030405060708' });
    const frame = framed(a.headerLength - 1, []);
    expect(() => a.sendInPlace(frame, 0)).toThrow(UsageError);
    expect(frame.buffer.slice(0, a.headerLength - 1)).toEqual(
      new Uint8Array(a.headerLength - 1).fill(0xee).buffer,
    );
    expect(a.stats().txPackets).toBe(0);
    const short = new Uint8Array(64).subarray(a.headerLength, a.headerLength + 10); // < 14: not Ethernet
    expect(a.sendInPlace(short, 0)).toBeUndefined();
    expect(a.stats()).toMatchObject({ txPackets: 0, txErrors: 1 });
  });
});

describe('StaticTunnelHost.send forwarding the payload being delivered', () => {
  // A host whose transport hands over node-like Buffers; its onFrame forwards on another session.
  function setup(forwardCookie: string) {
    const sent: DatagramData[] = [];
    let handler: DatagramHandler | undefined;
    let anySubclass = false;
    const transport: DatagramTransport = {
      send: (data) => {
        sent.push(data);
      },
      onDatagram: (h, options) => {
        handler = h;
        anySubclass = options?.anySubclass === true;
        return () => {};
      },
      close: () => {},
    };
    const seen: { frame: Uint8Array; direct: Uint8Array | undefined }[] = [];
    let forwardOn: StaticSession | undefined;
    let direct: StaticSession | undefined;
    const host = new StaticTunnelHost({
      tunnel: { tunnel_id: 1, peer_tunnel_id: 2, remote: '192.0.2.2', udp_dport: 5000 },
      transport,
      clock: { now: () => 0 },
      onFrame: (frame) => {
        // A direct sendInPlace never hands out the host's datagram (here: a Buffer).
        const copy = framed(64, [...frame.subarray(14)]);
        seen.push({ frame, direct: direct?.sendInPlace(copy, 0) });
        if (forwardOn !== undefined) host.send(forwardOn, frame, { inPlace: true });
      },
    });
    host.addSession({ ...A, cookie: '0a0b0c0d', peer_cookie: 'a1a2a3a4', seq: 'both' });
    forwardOn = host.addSession({
      ...A,
      session_id: 77,
      peer_session_id: 78,
      cookie: forwardCookie,
      seq: 'both',
    });
    direct = new StaticSession({ ...A, cookie: 'c1c2c3c4' });
    const peer = new StaticSession({
      ...A,
      session_id: A.peer_session_id,
      peer_session_id: A.session_id,
      cookie: 'a1a2a3a4',
      peer_cookie: '0a0b0c0d',
      seq: 'both',
    });
    const deliver = (body: number[]) => {
      const packet = peer.sendInPlace(framed(peer.headerLength, body), 0);
      if (packet === undefined || handler === undefined) throw new Error('setup');
      // As node:dgram hands it over: a Buffer, here at a nonzero offset in a larger block.
      const memory = Buffer.alloc(packet.length + 40, 0x77);
      const datagram = memory.subarray(16, 16 + packet.length);
      datagram.set(packet);
      handler(datagram, { address: '192.0.2.2', port: 5000 });
      return datagram;
    };
    expect(anySubclass).toBe(true);
    return { sent, seen, deliver, forwardOn, host };
  }

  test('same header length: the datagram itself goes out, with our header and Ns', () => {
    const { sent, seen, deliver, forwardOn } = setup('c1c2c3c4');
    const expected = new StaticSession({
      ...A,
      session_id: 77,
      peer_session_id: 78,
      cookie: 'c1c2c3c4',
      seq: 'both',
    });
    for (let n = 0; n < 3; n++) {
      const datagram = deliver([n]);
      expect(sent[n]).toBe(datagram); // no new view
      expect([...datagram]).toEqual([...joined(expected.send(framed(0, [n]), 0))]);
      expect(Buffer.from(datagram.buffer, 0, 16).every((x) => x === 0x77)).toBe(true);
    }
    expect(seen.map((s) => s.frame.constructor)).toEqual([Uint8Array, Uint8Array, Uint8Array]);
    expect(seen.map((s) => s.direct?.constructor)).toEqual([Uint8Array, Uint8Array, Uint8Array]);
    expect(forwardOn.stats()).toMatchObject({ txPackets: 3, txErrors: 0 });
  });

  test('a longer header, or a send after delivery, takes the usual path', () => {
    const { sent, seen, deliver, host, forwardOn } = setup('0102030405060708');
    const expected = new StaticSession({
      ...A,
      session_id: 77,
      peer_session_id: 78,
      cookie: '0102030405060708',
      seq: 'both',
    });
    const datagram = deliver([1]);
    // 8-octet cookie: 4 octets more than the frame arrived with, taken from the block before it.
    const packet = sent[0] as Uint8Array;
    expect(packet).not.toBe(datagram);
    expect(packet.constructor).toBe(Uint8Array);
    expect(packet.buffer).toBe(datagram.buffer);
    expect(packet.byteOffset).toBe(datagram.byteOffset - 4);
    expect([...packet]).toEqual([...joined(expected.send(framed(0, [1]), 0))]);
    // The same frame forwarded after onFrame returned: a plain view, not the datagram.
    const later = (seen[0] as { frame: Uint8Array }).frame;
    const short = host.addSession({
      ...A,
      session_id: 79,
      peer_session_id: 80,
      cookie: 'c1c2c3c4',
    });
    host.send(short, later, { inPlace: true });
    expect(sent[1]).not.toBe(datagram);
    expect((sent[1] as Uint8Array).constructor).toBe(Uint8Array);
    expect(forwardOn.stats().txPackets).toBe(1);
  });
});

class LoopTransport implements DatagramTransport {
  readonly sent: DatagramData[] = [];
  peerOf: LoopTransport | undefined;
  handler: DatagramHandler | undefined;
  readonly address: string;
  constructor(address: string) {
    this.address = address;
  }
  send(data: DatagramData): void {
    this.sent.push(data);
    const bytes =
      data instanceof Uint8Array ? data.slice() : Uint8Array.from([...data[0], ...data[1]]);
    this.peerOf?.handler?.(bytes, { address: this.address, port: 5000 });
  }
  onDatagram(handler: DatagramHandler): () => void {
    this.handler = handler;
    return () => {
      this.handler = undefined;
    };
  }
  close(): void {}
}

describe('StaticTunnelHost: inPlace forwarding and the receive fast path', () => {
  test('a received frame forwarded in place goes out as one array over its own header', () => {
    const ta = new LoopTransport('192.0.2.1');
    const tb = new LoopTransport('192.0.2.2');
    ta.peerOf = tb;
    tb.peerOf = ta;
    const got: Uint8Array[] = [];
    const hostA = new StaticTunnelHost({
      tunnel: { tunnel_id: 1, peer_tunnel_id: 2, remote: '192.0.2.2', udp_dport: 5000 },
      transport: ta,
      clock: { now: () => 0 },
      onFrame: (f) => got.push(f.slice()),
    });
    const hostB = new StaticTunnelHost({
      tunnel: { tunnel_id: 2, peer_tunnel_id: 1, remote: '192.0.2.1', udp_dport: 5000 },
      transport: tb,
      clock: { now: () => 0 },
      onFrame: (f, s) => hostB.send(s, f, { inPlace: true }),
    });
    const common = { cookie: '0a0b0c0d', peer_cookie: '0a0b0c0d', seq: 'both' } as const;
    const sa = hostA.addSession({ session_id: 0x80000001, peer_session_id: 0xfffffffe, ...common });
    const sb = hostB.addSession({
      session_id: 0xfffffffe,
      peer_session_id: 0x80000001,
      ...common,
    });
    for (let n = 0; n < 5; n++) hostA.send(sa, framed(0, [n]));
    expect(got).toEqual([0, 1, 2, 3, 4].map((n) => framed(0, [n])));
    expect(tb.sent.every((d) => d instanceof Uint8Array)).toBe(true); // one array each
    expect(ta.sent.every((d) => !(d instanceof Uint8Array))).toBe(true); // [header, frame]
    expect(sa.stats()).toMatchObject({ txPackets: 5, rxPackets: 5, rxSeqDiscards: 0 });
    expect(hostB.session(0xfffffffe)?.stats()).toMatchObject({ txPackets: 5, rxPackets: 5 });
    // int32 keys never alias: 0xfffffffe | 0 is -2, but -2 and 2^32 + 0xfffffffe are not ids.
    expect(hostB.session(-2)).toBeUndefined();
    expect(hostB.session(0xfffffffe + 2 ** 32)).toBeUndefined();
    expect(hostB.removeSession(-2)).toBe(false);
    expect(hostB.removeSession(0xfffffffe)).toBe(true);
    // sb sent last: a removed session is refused all the same (and sends nothing).
    const before = tb.sent.length;
    expect(() => hostB.send(sb, framed(20, [9]), { inPlace: true })).toThrow(UsageError);
    expect(tb.sent.length).toBe(before);
    // sb received last, too: packets for it are no longer anyone's.
    const noSession = hostB.stats().rxNoSession;
    hostA.send(sa, framed(0, [10]));
    expect(hostB.stats().rxNoSession).toBe(noSession + 1);
    expect(sb.stats().rxPackets).toBe(5);
    expect(tb.sent.length).toBe(before);
  });

  test('the fast path and classify agree on what is data, control or invalid', () => {
    const peer = new LoopTransport('192.0.2.9');
    const ours = new LoopTransport('192.0.2.1');
    peer.peerOf = ours;
    const host = new StaticTunnelHost({
      tunnel: { tunnel_id: 1, peer_tunnel_id: 2, remote: '192.0.2.9', udp_dport: 5000 },
      transport: ours,
      clock: { now: () => 0 },
      onFrame: () => {},
    });
    host.addSession({ session_id: 7, peer_session_id: 8, l2spec_type: 'none' });
    const send = (b: number[]) => peer.send(Uint8Array.from(b));
    send([0x00, 0x03, 0, 0, 0, 0, 0, 7, ...new Array(14).fill(1)]); // data, session 7
    send([0x00, 0x03, 0, 0, 0, 0, 0, 9]); // data, unknown session
    send([0x00, 0x03, 0, 0, 0, 0, 0, 0]); // data with Session ID 0: invalid
    send([0x00, 0x02, 0, 0, 0, 0, 0, 7]); // v2 data: invalid for a v3 tunnel
    send([0xc8, 0x03, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0]); // v3 control (ZLB): ignored
    send([0x00, 0x03, 0]); // truncated: invalid
    expect(host.stats()).toMatchObject({ rxPackets: 1, rxNoSession: 4, rxControlIgnored: 1 });
    host.close();
  });
});

describe('StaticTunnelHost: a throwing onFrame', () => {
  test('every released frame still reaches onFrame; the first error goes to the transport', () => {
    const peer = new LoopTransport('192.0.2.9');
    const ours = new LoopTransport('192.0.2.1');
    peer.peerOf = ours;
    const seen: number[] = [];
    let time = 0;
    const host = new StaticTunnelHost({
      tunnel: { tunnel_id: 1, peer_tunnel_id: 2, remote: '192.0.2.9', udp_dport: 5000 },
      transport: ours,
      clock: { now: () => time },
      onFrame: (f) => {
        seen.push(f[14] as number);
        throw new Error(`host bug ${f[14]}`);
      },
    });
    host.addSession({ session_id: 7, peer_session_id: 8, seq: 'both', reorderTimeoutMs: 100 });
    const data = (ns: number) => [0x00, 0x03, 0, 0, 0, 0, 0, 7, 0x40, 0, 0, ns, ...framed(0, [ns])];
    expect(() => peer.send(Uint8Array.from(data(0)))).toThrow('host bug 0');
    expect(seen).toEqual([0]);
    peer.send(Uint8Array.from(data(2))); // held: Ns 1 is missing
    expect(() =>
      ours.handler?.(Uint8Array.from(data(1)), { address: '192.0.2.9', port: 5000 }),
    ).toThrow('host bug 1');
    expect(seen).toEqual([0, 1, 2]); // 2 was released with 1 and delivered despite the throw
    expect(host.session(7)?.stats()).toMatchObject({ rxPackets: 3, rxErrors: 0 });
    expect(host.session(7)?.nextDeadline()).toBeUndefined();
    time = 1000;
    host.close();
  });
});
