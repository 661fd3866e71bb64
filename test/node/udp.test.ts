/**
 * The node:dgram DatagramTransport on real loopback sockets (127.0.0.1 and ::1): sends of any size
 * around the 64-byte pooling limit arrive byte for byte, the source address is reported,
 * unsubscribe and close stop delivery, send counters are exact, failed sends reach onError with
 * their destination, peers are re-read on every send despite the destination cache, bad
 * arguments throw UsageError. Waits on datagrams or event-loop turns, never on wall-clock sleeps.
 * Also the Node clock, timer and random ports.
 */
import { fc } from '@fast-check/vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { nodeClock, nodeRandomBytes, nodeTimers } from '../../src/node/clock.js';
import { UdpTransport, type UdpTransportOptions } from '../../src/node/udp.js';
import type { PeerAddress } from '../../src/transport.js';
import { releasedUdpPort } from '../helpers/ports.js';

const open: UdpTransport[] = [];

async function transport(options: UdpTransportOptions): Promise<UdpTransport> {
  const t = await UdpTransport.open(options);
  open.push(t);
  return t;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

interface Received {
  readonly bytes: Uint8Array;
  readonly from: PeerAddress;
}

/** Collects datagrams; `next()` resolves with the next one (queued or future). */
function collector(t: UdpTransport) {
  const queue: Received[] = [];
  const waiting: ((r: Received) => void)[] = [];
  const all: Received[] = [];
  const unsubscribe = t.onDatagram((bytes, from) => {
    const r = { bytes, from };
    all.push(r);
    const w = waiting.shift();
    if (w) w(r);
    else queue.push(r);
  });
  return {
    all,
    unsubscribe,
    next(): Promise<Received> {
      const r = queue.shift();
      return r ? Promise.resolve(r) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

const bytes = (...values: number[]) => Uint8Array.from(values);

/** `length` bytes counting up from `seed` (mod 256), so that misplaced bytes show. */
const pattern = (length: number, seed: number) =>
  Uint8Array.from({ length }, (_, i) => (seed + i) & 0xff);

/** Yields to the event loop until `done()` holds (send callbacks run there); at most 1000 turns. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  expect(done()).toBe(true);
}

for (const [family, loopback] of [
  ['IPv4', '127.0.0.1'],
  ['IPv6', '::1'],
] as const) {
  describe(`UdpTransport over ${family} loopback (${loopback})`, () => {
    it('binds an ephemeral port and reports it', async () => {
      const a = await transport({ address: loopback });
      expect(a.local.address).toBe(loopback);
      expect(a.local.family).toBe(family);
      expect(a.local.port).toBeGreaterThan(0);
    });

    it('delivers a datagram with its source address and port', async () => {
      const a = await transport({ address: loopback });
      const b = await transport({ address: loopback });
      const rx = collector(b);
      // An L2TPv2 ZLB header: T, L, S, Ver=2; Length 12; tunnel 7; session 0; Ns 1; Nr 2.
      const zlb = bytes(0xc8, 0x02, 0x00, 0x0c, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02);
      a.send(zlb, b.local);
      const got = await rx.next();
      expect(got.bytes).toEqual(zlb);
      expect(got.bytes.constructor).toBe(Uint8Array); // a plain view, not a Buffer
      expect(got.from).toEqual({ address: loopback, port: a.local.port, family });
      expect(b.stats()).toMatchObject({ datagramsReceived: 1, bytesReceived: 12 });
    });

    it('anySubclass handlers get the Buffer; the others share one plain view of it', async () => {
      const a = await transport({ address: loopback });
      const b = await transport({ address: loopback });
      const seen: { bytes: Uint8Array; from: PeerAddress; kind: string }[] = [];
      b.onDatagram((bytes, from) => seen.push({ bytes, from, kind: 'plain 1' }));
      b.onDatagram((bytes, from) => seen.push({ bytes, from, kind: 'buffer' }), {
        anySubclass: true,
      });
      b.onDatagram((bytes, from) => seen.push({ bytes, from, kind: 'plain 2' }));
      const sent = pattern(70, 9);
      a.send(sent, b.local);
      await until(() => seen.length === 3);
      expect(seen.map((s) => s.kind)).toEqual(['plain 1', 'buffer', 'plain 2']);
      const [plain1, buffer, plain2] = seen as [
        (typeof seen)[0],
        (typeof seen)[0],
        (typeof seen)[0],
      ];
      expect(Buffer.isBuffer(buffer.bytes)).toBe(true);
      expect(plain1.bytes.constructor).toBe(Uint8Array);
      expect(plain2.bytes).toBe(plain1.bytes); // made once per datagram
      // The view is over the Buffer's memory, not a copy.
      expect(plain1.bytes.buffer).toBe(buffer.bytes.buffer);
      expect(plain1.bytes.byteOffset).toBe(buffer.bytes.byteOffset);
      expect([...plain1.bytes]).toEqual([...sent]);
      expect([...buffer.bytes]).toEqual([...sent]);
      expect(buffer.from).toBe(plain1.from);
      expect(plain1.from).toEqual({ address: loopback, port: a.local.port, family });
      expect(b.stats().datagramsReceived).toBe(1);
    });

    it('sends [header, payload] as one datagram, byte for byte', async () => {
      const a = await transport({ address: loopback });
      const b = await transport({ address: loopback });
      const rx = collector(b);
      // v2 data header (L bit, tunnel 0x1234, session 0x5678) + a PPP LCP Echo-Request.
      const header = bytes(0x40, 0x02, 0x00, 0x12, 0x12, 0x34, 0x56, 0x78);
      const payload = bytes(0xff, 0x03, 0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 0xde, 0xad);
      // The payload is a view into a larger buffer: only its own bytes must go out.
      const big = new Uint8Array(64).fill(0xee);
      big.set(payload, 20);
      a.send([header, big.subarray(20, 20 + payload.length)], b.local);
      const got = await rx.next();
      expect(got.bytes).toEqual(Uint8Array.from([...header, ...payload]));
      // An empty payload is a header-only datagram.
      a.send([header, new Uint8Array(0)], b.local);
      expect((await rx.next()).bytes).toEqual(header);
    });

    it('keeps datagram boundaries and order on loopback for a burst of 200', async () => {
      const a = await transport({ address: loopback });
      const b = await transport({ address: loopback });
      const rx = collector(b);
      for (let i = 0; i < 200; i++) a.send([bytes(i >> 8, i & 0xff), new Uint8Array(i)], b.local);
      for (let i = 0; i < 200; i++) {
        const got = await rx.next();
        expect(got.bytes.length).toBe(2 + i);
        expect((got.bytes[0] as number) * 256 + (got.bytes[1] as number)).toBe(i);
      }
      expect(a.stats()).toMatchObject({ datagramsSent: 200, errors: 0 });
    });

    it('stops delivering to a handler once unsubscribed; others still receive', async () => {
      const a = await transport({ address: loopback });
      const b = await transport({ address: loopback });
      const first = collector(b);
      const second = collector(b);
      a.send(bytes(1), b.local);
      await second.next();
      first.unsubscribe();
      first.unsubscribe(); // idempotent
      a.send(bytes(2), b.local);
      expect((await second.next()).bytes).toEqual(bytes(2));
      expect(first.all.map((r) => r.bytes)).toEqual([bytes(1)]);
    });

    it('close() stops delivery at once and frees the port', async () => {
      const a = await transport({ address: loopback });
      const b = await transport({ address: loopback });
      const rx = collector(b);
      const port = b.local.port;
      a.send(bytes(0xaa), b.local);
      // Closed before the event loop could deliver the datagram sent above, if it arrived at all.
      await b.close();
      await b.close(); // idempotent
      expect(b.closed).toBe(true);
      expect(() => b.send(bytes(1), a.local)).toThrow(UsageError);
      // The port is free again: a new socket binds it and receives the next datagram there.
      const c = await transport({ address: loopback, port });
      const rxC = collector(c);
      a.send(bytes(0xbb), c.local);
      expect((await rxC.next()).bytes).toEqual(bytes(0xbb));
      expect(rx.all).toEqual([]);
    });

    it('reports asynchronous send failures to onError (EMSGSIZE), without throwing', async () => {
      const errors: { error: Error; op: string; port: number | undefined }[] = [];
      let failed!: () => void;
      const done = new Promise<void>((resolve) => {
        failed = resolve;
      });
      const a = await transport({
        address: loopback,
        onError: (error, ctx) => {
          errors.push({ error, op: ctx.op, port: ctx.peer?.port });
          failed();
        },
      });
      const b = await transport({ address: loopback });
      a.send([new Uint8Array(40_000), new Uint8Array(40_000)], b.local); // > 65507 octets
      await done;
      expect(errors).toHaveLength(1);
      expect(errors[0]?.op).toBe('send');
      expect(errors[0]?.port).toBe(b.local.port);
      expect((errors[0]?.error as NodeJS.ErrnoException | undefined)?.code).toBe('EMSGSIZE');
      expect(a.stats()).toMatchObject({ datagramsSent: 0, errors: 1 });
    });

    it('counts sent datagrams and octets exactly, and failed sends apart', async () => {
      const failures: { op: string; peer: PeerAddress | undefined }[] = [];
      const a = await transport({
        address: loopback,
        onError: (_error, ctx) => failures.push({ op: ctx.op, peer: ctx.peer }),
      });
      const b = await transport({ address: loopback });
      const rx = collector(b);
      a.send(pattern(12, 1), b.local); // small single array (pooled)
      a.send([pattern(20, 2), pattern(64, 3)], b.local); // joined into one pooled array
      a.send([pattern(20, 4), pattern(1400, 5)], b.local); // scatter/gather
      a.send(pattern(100, 6), b.local); // large single array
      a.send([new Uint8Array(65_000), new Uint8Array(1000)], b.local); // EMSGSIZE
      a.send(pattern(65, 7), b.local);
      const sizes = [];
      for (let i = 0; i < 5; i++) sizes.push((await rx.next()).bytes.length);
      expect(sizes).toEqual([12, 84, 1420, 100, 65]);
      await until(() => a.stats().datagramsSent + a.stats().errors === 6);
      expect(a.stats()).toEqual({
        datagramsSent: 5,
        bytesSent: 12 + 84 + 1420 + 100 + 65,
        datagramsReceived: 0,
        bytesReceived: 0,
        errors: 1,
      });
      expect(failures).toEqual([{ op: 'send', peer: { address: loopback, port: b.local.port } }]);
      expect(b.stats()).toMatchObject({ datagramsReceived: 5, bytesReceived: 1681, errors: 0 });
    });

    it('counts a failed send without an onError callback (logged, not thrown)', async () => {
      const a = await transport({ address: loopback });
      const b = await transport({ address: loopback });
      a.send(new Uint8Array(70_000), b.local);
      await until(() => a.stats().errors === 1);
      expect(a.stats()).toMatchObject({ datagramsSent: 0, bytesSent: 0, errors: 1 });
    });

    it('sends arrays of any size around the 64-byte pooling limit byte for byte', async () => {
      const a = await transport({ address: loopback });
      const b = await transport({ address: loopback });
      const rx = collector(b);
      let seed = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 70 }),
          fc.oneof(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 71, max: 1500 })),
          fc.boolean(),
          async (headerLength, payloadLength, single) => {
            const header = pattern(headerLength, ++seed);
            const payload = pattern(payloadLength, ++seed);
            if (single) a.send(payload, b.local);
            else a.send([header, payload], b.local);
            const expected = single ? payload : Uint8Array.from([...header, ...payload]);
            expect((await rx.next()).bytes).toEqual(expected);
          },
        ),
        { numRuns: 150 },
      );
    });

    it('keeps earlier small datagrams intact across send-pool boundaries', async () => {
      const a = await transport({ address: loopback });
      const b = await transport({ address: loopback });
      const rx = collector(b);
      // 600 joined datagrams of 8 + 56 octets take about 38 KiB of pool (two fresh pools). In
      // bursts of 100, which the default receive buffer holds.
      for (let burst = 0; burst < 600; burst += 100) {
        for (let i = burst; i < burst + 100; i++)
          a.send([pattern(8, i), pattern(56, i + 8)], b.local);
        for (let i = burst; i < burst + 100; i++) {
          expect((await rx.next()).bytes).toEqual(pattern(64, i));
        }
      }
    });

    it('reports a throwing handler to onError and still runs the other handlers', async () => {
      const seen: string[] = [];
      const a = await transport({ address: loopback });
      const b = await transport({
        address: loopback,
        onError: (error, ctx) => seen.push(`${ctx.op}:${error.message}:${ctx.peer?.port}`),
      });
      b.onDatagram(() => {
        throw new Error('boom');
      });
      const rx = collector(b);
      a.send(bytes(7), b.local);
      await rx.next();
      expect(seen).toEqual([`handler:boom:${a.local.port}`]);
    });

    it('refuses a port already bound (EADDRINUSE) when opening', async () => {
      const a = await transport({ address: loopback });
      await expect(UdpTransport.open({ address: loopback, port: a.local.port })).rejects.toThrow(
        /EADDRINUSE/,
      );
    });
  });
}

for (const [family, loopback, type] of [
  ['IPv4', '127.0.0.1', 'udp4'],
  ['IPv6', '::1', 'udp6'],
] as const) {
  describe(`UdpTransport connected to one peer over ${family} loopback`, () => {
    it('sends to its peer, hears only from it, and names it as the source', async () => {
      const b = await transport({ address: loopback });
      const a = await transport({ address: loopback, connect: b.local });
      const c = await transport({ address: loopback });
      expect(a.remote).toEqual({ address: loopback, port: b.local.port, family });
      expect(b.remote).toBeUndefined();
      const rxA = collector(a);
      const rxB = collector(b);
      a.send([bytes(1, 2), pattern(100, 3)], b.local);
      a.send(bytes(4), { address: loopback, port: b.local.port }); // another object, same peer
      expect((await rxB.next()).bytes).toEqual(Uint8Array.from([1, 2, ...pattern(100, 3)]));
      expect((await rxB.next()).bytes).toEqual(bytes(4));
      // The kernel drops C's datagram (another source); B's, sent after it, arrives.
      c.send(bytes(0xcc), a.local);
      b.send(bytes(0xbb), a.local);
      const got = await rxA.next();
      expect(got.bytes).toEqual(bytes(0xbb));
      expect(got.from).toBe(a.remote); // one object for every datagram
      b.send(bytes(0xbc), a.local);
      expect((await rxA.next()).bytes).toEqual(bytes(0xbc));
      expect(rxA.all).toHaveLength(2);
      await until(() => a.stats().datagramsSent === 2);
      expect(a.stats()).toEqual({
        datagramsSent: 2,
        bytesSent: 103,
        datagramsReceived: 2,
        bytesReceived: 2,
        errors: 0,
      });
    });

    it('refuses to send to any other peer (UsageError), before anything is sent', async () => {
      const b = await transport({ address: loopback });
      const a = await transport({ address: loopback, connect: b.local });
      const other = await transport({ address: loopback });
      expect(() => a.send(bytes(1), other.local)).toThrow(UsageError);
      expect(() => a.send(bytes(1), { address: loopback, port: b.local.port + 1 })).toThrow(
        /connected to/,
      );
      const elsewhere = family === 'IPv4' ? '127.0.0.2' : '::2';
      expect(() => a.send(bytes(1), { address: elsewhere, port: b.local.port })).toThrow(
        UsageError,
      );
      expect(() => a.send(bytes(1), { address: 'localhost', port: b.local.port })).toThrow(
        UsageError,
      );
      // After a refused peer the right one still goes out (the last-peer memory is not fooled).
      const rx = collector(b);
      a.send(bytes(7), b.local);
      expect((await rx.next()).bytes).toEqual(bytes(7));
      expect(a.stats()).toMatchObject({ errors: 0 });
    });

    it('reports failed sends with the peer: EMSGSIZE, and ECONNREFUSED from ICMP', async () => {
      const failures: { op: string; code: string | undefined; peer: PeerAddress | undefined }[] =
        [];
      const onError = (error: Error, ctx: { op: string; peer?: PeerAddress }) =>
        failures.push({ op: ctx.op, code: (error as NodeJS.ErrnoException).code, peer: ctx.peer });
      const b = await transport({ address: loopback });
      const a = await transport({ address: loopback, connect: b.local, onError });
      a.send([new Uint8Array(40_000), new Uint8Array(40_000)], b.local);
      await until(() => failures.length === 1);
      expect(failures[0]).toEqual({ op: 'send', code: 'EMSGSIZE', peer: a.remote });
      // Nothing listens on `port`: the ICMP port unreachable comes back as ECONNREFUSED, on
      // the socket (recvmsg) or on a later send, whichever asks first.
      const port = await releasedUdpPort(loopback);
      const lonely = await transport({
        address: loopback,
        connect: { address: loopback, port },
        onError,
      });
      lonely.send(bytes(1), lonely.remote as PeerAddress);
      await until(() => failures.length === 2);
      lonely.send(bytes(2), lonely.remote as PeerAddress);
      await until(
        () => failures.length >= 2 && lonely.stats().datagramsSent + lonely.stats().errors >= 2,
      );
      const refused = failures.slice(1);
      expect(refused.some((f) => f.code === 'ECONNREFUSED')).toBe(true);
      for (const f of refused) expect(f.peer).toEqual({ address: loopback, port, family });
      expect(lonely.stats().errors).toBe(refused.length);
    });

    it('fromSocket recognises a socket that is already connected', async () => {
      const { createSocket } = await import('node:dgram');
      const b = await transport({ address: loopback });
      const raw = createSocket(type);
      await new Promise<void>((resolve) => raw.bind({ address: loopback, port: 0 }, resolve));
      await new Promise<void>((resolve) => raw.connect(b.local.port, loopback, resolve));
      const t = UdpTransport.fromSocket(raw);
      open.push(t);
      expect(t.remote).toEqual({ address: loopback, port: b.local.port, family });
      const rx = collector(b);
      t.send(bytes(5), b.local);
      expect((await rx.next()).bytes).toEqual(bytes(5));
      expect(() => t.send(bytes(5), { address: loopback, port: 9 })).toThrow(UsageError);
    });
  });
}

describe('UdpTransport argument checks', () => {
  it('throws UsageError for bad peers and bind options', async () => {
    const v4 = await transport({ address: '127.0.0.1' });
    expect(() => v4.send(bytes(1), { address: '::1', port: 1701 })).toThrow(UsageError);
    expect(() => v4.send(bytes(1), { address: 'localhost', port: 1701 })).toThrow(UsageError);
    expect(() => v4.send(bytes(1), { address: '127.0.0.1', port: 0 })).toThrow(UsageError);
    expect(() => v4.send(bytes(1), { address: '127.0.0.1', port: 65536 })).toThrow(UsageError);
    await expect(UdpTransport.open({ address: 'localhost' })).rejects.toThrow(UsageError);
    await expect(UdpTransport.open({ port: -1 })).rejects.toThrow(UsageError);
    await expect(UdpTransport.open({ address: '::1', type: 'udp4' })).rejects.toThrow(UsageError);
  });

  it('re-reads the peer on every send (a peer object changed in place, bad addresses)', async () => {
    const a = await transport({ address: '127.0.0.1' });
    const b = await transport({ address: '127.0.0.1' });
    const c = await transport({ address: '127.0.0.1' });
    const rxB = collector(b);
    const rxC = collector(c);
    const peer = { address: '127.0.0.1', port: b.local.port };
    a.send(bytes(1), peer);
    peer.port = c.local.port;
    a.send(bytes(2), peer);
    expect((await rxB.next()).bytes).toEqual(bytes(1));
    expect((await rxC.next()).bytes).toEqual(bytes(2));
    peer.address = 'not-an-address';
    expect(() => a.send(bytes(3), peer)).toThrow(UsageError);
    expect(() => a.send(bytes(3), { address: '::1', port: b.local.port })).toThrow(UsageError);
    peer.address = '127.0.0.1';
    a.send(bytes(4), peer);
    expect((await rxC.next()).bytes).toEqual(bytes(4));
  });

  it('keeps sending correctly past 1024 distinct destinations (the cache restarts)', async () => {
    const a = await transport({ address: '127.0.0.1' });
    const b = await transport({ address: '127.0.0.1' });
    const rx = collector(b);
    // 127.1.x.y is loopback but nobody listens there: the datagrams are accepted and dropped.
    const n = 1100;
    for (let i = 0; i < n; i++) {
      a.send(bytes(i & 0xff), { address: `127.1.${i >> 8}.${i & 0xff}`, port: b.local.port });
    }
    expect(() => a.send(bytes(0), { address: '127.1.0.999', port: 1 })).toThrow(UsageError);
    a.send(bytes(0xee), b.local);
    expect((await rx.next()).bytes).toEqual(bytes(0xee));
    await until(() => a.stats().datagramsSent === n + 1);
    expect(a.stats().errors).toBe(0);
  });

  it('a socket from open() still resolves names given to its own connect()', async () => {
    const a = await transport({ address: '127.0.0.1' });
    const b = await transport({ address: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      a.socket.once('error', reject);
      a.socket.connect(b.local.port, 'localhost', () => resolve());
    });
    expect(a.socket.remoteAddress()).toMatchObject({ address: '127.0.0.1', port: b.local.port });
  });

  it('a dual-stack udp6 socket sends to IPv4 peers as IPv4-mapped addresses', async () => {
    const v4 = await transport({ address: '127.0.0.1' });
    const v6 = await transport({ type: 'udp6', address: '::' });
    const rx4 = collector(v4);
    const rx6 = collector(v6);
    v6.send(bytes(4), v4.local);
    const got = await rx4.next();
    expect(got.bytes).toEqual(bytes(4));
    expect(got.from.port).toBe(v6.local.port);
    v4.send(bytes(6), { address: '127.0.0.1', port: v6.local.port });
    const back = await rx6.next();
    expect(back.from).toEqual({ address: '::ffff:127.0.0.1', port: v4.local.port, family: 'IPv6' });
  });

  it('refuses bad connect options with UsageError, binding nothing', async () => {
    for (const connect of [
      { address: '127.0.0.1', port: 0 },
      { address: '127.0.0.1', port: 65_536 },
      { address: '127.0.0.1', port: 1.5 },
      { address: 'localhost', port: 1701 },
      { address: '::1', port: 1701 }, // IPv6 peer of a udp4 socket
    ]) {
      await expect(UdpTransport.open({ address: '127.0.0.1', connect })).rejects.toThrow(
        UsageError,
      );
    }
    await expect(
      UdpTransport.open({
        type: 'udp6',
        ipv6Only: true,
        connect: { address: '127.0.0.1', port: 9 },
      }),
    ).rejects.toThrow(UsageError);
  });

  it('connected sockets sharing one local port (reuseAddr) each hear only their own peer', async () => {
    // Like several kernel static tunnels on udp_sport 1701: the kernel picks the socket by the
    // source address and port.
    const peer1 = await transport({ address: '127.0.0.1' });
    const peer2 = await transport({ address: '127.0.0.1' });
    const t1 = await transport({ address: '127.0.0.1', reuseAddr: true, connect: peer1.local });
    const t2 = await transport({
      address: '127.0.0.1',
      port: t1.local.port,
      reuseAddr: true,
      connect: peer2.local,
    });
    expect(t2.local.port).toBe(t1.local.port);
    const rx1 = collector(t1);
    const rx2 = collector(t2);
    for (let i = 0; i < 5; i++) {
      peer1.send(bytes(0x10 + i), t1.local);
      peer2.send(bytes(0x20 + i), t1.local); // the same local address and port
    }
    for (let i = 0; i < 5; i++) {
      expect((await rx1.next()).bytes).toEqual(bytes(0x10 + i));
      expect((await rx2.next()).bytes).toEqual(bytes(0x20 + i));
    }
    expect(rx1.all).toHaveLength(5);
    expect(rx2.all).toHaveLength(5);
  });

  it('a dual-stack udp6 socket connects to an IPv4 peer as IPv4-mapped', async () => {
    const v4 = await transport({ address: '127.0.0.1' });
    const v6 = await transport({ type: 'udp6', address: '::', connect: v4.local });
    expect(v6.remote).toEqual({ address: '127.0.0.1', port: v4.local.port, family: 'IPv4' });
    expect(v6.socket.remoteAddress()).toMatchObject({ address: '::ffff:127.0.0.1' });
    const rx4 = collector(v4);
    const rx6 = collector(v6);
    v6.send(bytes(1), v4.local);
    v6.send(bytes(2), { address: '::ffff:127.0.0.1', port: v4.local.port }); // the same peer
    expect((await rx4.next()).bytes).toEqual(bytes(1));
    expect((await rx4.next()).bytes).toEqual(bytes(2));
    v4.send(bytes(3), { address: '127.0.0.1', port: v6.local.port });
    expect((await rx6.next()).from).toBe(v6.remote);
  });

  it('fromSocket wraps a bound socket and requires one', async () => {
    const { createSocket } = await import('node:dgram');
    const raw = createSocket('udp4');
    expect(() => UdpTransport.fromSocket(raw)).toThrow(UsageError);
    await new Promise<void>((resolve) => raw.bind({ address: '127.0.0.1', port: 0 }, resolve));
    const t = UdpTransport.fromSocket(raw);
    open.push(t);
    const a = await transport({ address: '127.0.0.1' });
    const rx = collector(t);
    a.send(bytes(9), t.local);
    expect((await rx.next()).from.port).toBe(a.local.port);
  });
});

describe('Node clock, timers and random bytes', () => {
  it('the clock is monotonic', () => {
    let last = nodeClock.now();
    for (let i = 0; i < 1000; i++) {
      const now = nodeClock.now();
      expect(now).toBeGreaterThanOrEqual(last);
      last = now;
    }
  });

  it('timers fire once, in deadline order; cleared timers never fire', async () => {
    const fired: string[] = [];
    let done!: () => void;
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    const cleared = nodeTimers.set(0, () => fired.push('cleared'));
    // 50 ms apart, so that a busy event loop between the two set() calls cannot swap them
    // (setTimeout orders by due time; 2 ms apart flaked on a loaded CI run).
    nodeTimers.set(50, () => {
      fired.push('second');
      done();
    });
    nodeTimers.set(Number.NaN, () => fired.push('first'));
    nodeTimers.clear(cleared);
    nodeTimers.clear(cleared); // harmless twice
    await all;
    expect(fired).toEqual(['first', 'second']);
  });

  it('random bytes: exact lengths, chunked past 65536, distinct draws, bad lengths refused', () => {
    expect(nodeRandomBytes(0)).toEqual(new Uint8Array(0));
    const a = nodeRandomBytes(16);
    const b = nodeRandomBytes(16);
    expect(a).toHaveLength(16);
    expect(a).not.toEqual(b); // 2^-128 chance of a false failure
    const big = nodeRandomBytes(65536 * 2 + 5);
    expect(big).toHaveLength(131077);
    // Each 64 KiB chunk was filled: none of them is still all zeros.
    for (const start of [0, 65536, 131072]) {
      expect(big.subarray(start, start + 5).some((x) => x !== 0)).toBe(true);
    }
    expect(() => nodeRandomBytes(-1)).toThrow(UsageError);
    expect(() => nodeRandomBytes(1.5)).toThrow(UsageError);
  });
});
