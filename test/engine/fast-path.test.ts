// The managed data fast paths (issue #13): receiveDataOne / sendDataOne must do exactly what
// handleDatagram / sendFrame do, on twin engines fed the same bytes, for valid and damaged
// data messages; inPlace writes the same header before the frame.

import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { encodeDataHeaderV2 } from '../../src/codec/header.js';
import type { EngineOutput, TunnelEngine } from '../../src/engine/index.js';
import { EnginePair } from './pair.js';

interface Twin {
  readonly engine: TunnelEngine;
  readonly sessions: number[];
  readonly peerTunnelId: number;
  readonly now: number;
}

// An LNS engine ("b") with `n` sessions up, the same for the same seed and options.
function twin(seed: number, n: number, b: Parameters<typeof makePair>[1]): Twin {
  const p = makePair(seed, b);
  p.establish();
  for (let i = 0; i < n; i++) p.openSession(p.a);
  p.driveBounded(() => p.b.eventsOf('session-up').length === n, 2000);
  p.drive(500);
  const sessions = p.b.engine.sessionIds();
  return { engine: p.b.engine, sessions, peerTunnelId: p.a.engine.localTunnelId, now: p.now };
}

function makePair(seed: number, b: Record<string, unknown> = {}) {
  return new EnginePair({ seed, b: b as never });
}

function flat(packet: Uint8Array | readonly [Uint8Array, Uint8Array]): number[] {
  if (packet instanceof Uint8Array) return [...packet];
  return [...packet[0], ...packet[1]];
}

const datagram = fc.record({
  pick: fc.nat(),
  s: fc.boolean(),
  ns: fc.nat(0xffff),
  ac: fc.boolean(),
  p: fc.boolean(),
  l: fc.boolean(),
  badTunnel: fc.boolean(),
  payload: fc.uint8Array({ maxLength: 40 }),
  cut: fc.option(fc.nat(14), { nil: undefined }),
});

type Datagram = typeof datagram extends fc.Arbitrary<infer T> ? T : never;

function build(t: Twin, x: Datagram): Uint8Array {
  const sid = t.sessions[x.pick % t.sessions.length] as number;
  const header = new Uint8Array(16);
  const size = encodeDataHeaderV2(
    {
      version: 2,
      tunnelId: x.badTunnel ? t.engine.localTunnelId ^ 1 : t.engine.localTunnelId,
      sessionId: sid,
      ns: x.s ? x.ns : undefined,
      nr: x.s ? 0 : undefined,
      priority: x.p,
      length: x.l ? 16 : undefined,
    },
    header,
    0,
  );
  const body = x.ac ? [0xff, 0x03, ...x.payload] : [...x.payload];
  const bytes = Uint8Array.from([...header.subarray(0, size), ...body]);
  if (x.l) {
    bytes[2] = bytes.length >> 8;
    bytes[3] = bytes.length & 0xff;
  }
  return x.cut === undefined ? bytes : bytes.subarray(0, x.cut);
}

describe('receiveDataOne agrees with handleDatagram', () => {
  fcTest.prop(
    [
      fc.integer({ min: 1, max: 50 }),
      fc.constantFrom({}, { session: { requireSequenceNumbers: true, reorderTimeoutMs: 30 } }),
      fc.array(fc.tuple(datagram, fc.nat(40)), { minLength: 1, maxLength: 60 }),
    ],
    { numRuns: 60 },
  )('same frames, same counters, same deadlines', (seed, options, inputs) => {
    const fast = twin(seed, 3, options);
    const slow = twin(seed, 3, options);
    let now = fast.now;
    const gotFast: [number, number[]][] = [];
    const gotSlow: [number, number[]][] = [];
    const collect = (into: [number, number[]][], outs: readonly EngineOutput[]) => {
      for (const o of outs) if (o.type === 'frame') into.push([o.sessionId, [...o.frame]]);
    };
    for (const [d, dt] of inputs) {
      now += dt;
      const bytes = build(fast, d);
      const f = fast.engine.receiveDataOne(bytes.slice(), now);
      if (f === null) collect(gotFast, fast.engine.handleDatagram(bytes.slice(), now));
      else if (f !== undefined) gotFast.push([fast.engine.rxSessionId, [...f]]);
      collect(gotSlow, slow.engine.handleDatagram(bytes.slice(), now));
      expect(gotFast).toEqual(gotSlow);
      expect(fast.engine.nextDeadline()).toBe(slow.engine.nextDeadline());
      const a = fast.engine.stats();
      const b = slow.engine.stats();
      expect({ ...a, channel: undefined }).toEqual({ ...b, channel: undefined });
      for (const id of fast.sessions) {
        expect(fast.engine.sessionStats(id)).toEqual(slow.engine.sessionStats(id));
      }
    }
  });

  test('the fast path takes in-order data and leaves control, P-bit and gapped frames to handleDatagram', () => {
    const t = twin(3, 1, { session: { requireSequenceNumbers: true } });
    const sid = t.sessions[0] as number;
    const data = (ns: number, p = false) => {
      const h = new Uint8Array(10);
      encodeDataHeaderV2(
        { version: 2, tunnelId: t.engine.localTunnelId, sessionId: sid, ns, nr: 0, priority: p },
        h,
        0,
      );
      return Uint8Array.from([...h, 0xff, 0x03, 0xc0, 0x21, 9]);
    };
    // The first Ns sets the expected one: the general path takes it.
    expect(t.engine.receiveDataOne(data(0), t.now)).toBeNull();
    t.engine.handleDatagram(data(0), t.now);
    const f1 = t.engine.receiveDataOne(data(1), t.now);
    expect(f1 && [...f1]).toEqual([0xc0, 0x21, 9]);
    expect(t.engine.rxSessionId).toBe(sid);
    expect(t.engine.receiveDataOne(data(3), t.now)).toBeNull(); // a gap: held by the general path
    expect(t.engine.receiveDataOne(data(2, true), t.now)).toBeNull();
    expect(t.engine.receiveDataOne(Uint8Array.of(0xc8, 0x02, 0, 12), t.now)).toBeNull();
  });
});

describe('sendDataOne agrees with sendFrame', () => {
  fcTest.prop(
    [
      fc.integer({ min: 1, max: 50 }),
      fc.boolean(),
      fc.array(fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 30 }), fc.boolean()), {
        minLength: 1,
        maxLength: 30,
      }),
    ],
    { numRuns: 40 },
  )('same bytes and counters, pair or in place', (seed, sequencing, frames) => {
    const opts = sequencing ? { session: { sendSequenceNumbers: true } } : {};
    const fast = twin(seed, 2, opts);
    const slow = twin(seed, 2, opts);
    for (const [pick, payload, ac] of frames) {
      const id = fast.sessions[pick % fast.sessions.length] as number;
      const frame = ac ? Uint8Array.from([0xff, 0x03, ...payload]) : payload;
      // 16 octets of headroom for the in-place case.
      const buffer = new Uint8Array(16 + frame.length);
      buffer.set(frame, 16);
      const inPlace = pick % 2 === 0;
      const view = inPlace ? buffer.subarray(16) : frame;
      const packet = fast.engine.sendDataOne(id, view, inPlace);
      expect(packet).not.toBeNull();
      const outs = slow.engine.sendFrame(id, frame, slow.now);
      const want = outs[0]?.type === 'transmit' ? flat(outs[0].packet) : [];
      expect(flat(packet as Uint8Array)).toEqual(want);
      if (inPlace) expect((packet as Uint8Array).buffer).toBe(buffer.buffer);
      expect(fast.engine.sessionStats(id)).toEqual(slow.engine.sessionStats(id));
    }
    expect(fast.engine.stats().framesSent).toBe(slow.engine.stats().framesSent);
  });

  test('inPlace without room throws UsageError and does not use up an Ns', () => {
    const t = twin(5, 1, { session: { sendSequenceNumbers: true } });
    const id = t.sessions[0] as number;
    expect(() => t.engine.sendDataOne(id, Uint8Array.of(1, 2), true)).toThrow(/inPlace needs 12/);
    expect(() => t.engine.sendFrame(id, Uint8Array.of(1, 2), t.now, { inPlace: true })).toThrow(
      /inPlace needs 12/,
    );
    const out = t.engine.sendFrame(id, Uint8Array.of(1, 2), t.now);
    const bytes = out[0]?.type === 'transmit' ? flat(out[0].packet) : [];
    expect((bytes[6] as number) * 256 + (bytes[7] as number)).toBe(0); // Ns 0 still unused
  });

  test("inPlace 'if-room': in place when the header fits before the frame, else [header, frame]", () => {
    const t = twin(5, 1, { session: { sendSequenceNumbers: true } });
    const id = t.sessions[0] as number;
    const roomy = new Uint8Array(12 + 2).subarray(12);
    roomy.set([0xc0, 0x21]);
    const tight = new Uint8Array(11 + 2).subarray(11);
    tight.set([0xc0, 0x21]);
    for (const send of [
      (f: Uint8Array) => t.engine.sendDataOne(id, f, 'if-room'),
      (f: Uint8Array) => {
        const out = t.engine.sendFrame(id, f, t.now, { inPlace: 'if-room' });
        return out[0]?.type === 'transmit' ? out[0].packet : null;
      },
    ]) {
      const a = send(roomy);
      expect(a).toBeInstanceOf(Uint8Array);
      expect((a as Uint8Array).buffer).toBe(roomy.buffer);
      const b = send(tight) as readonly [Uint8Array, Uint8Array];
      expect(Array.isArray(b)).toBe(true);
      expect(b[1]).toBe(tight);
      expect(flat(a as Uint8Array).slice(12)).toEqual([0xc0, 0x21]);
    }
  });
});
