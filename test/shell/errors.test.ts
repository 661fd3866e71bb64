// Issue #14: no error vanishes, every failure is named and comes as fast as the protocol allows.
// An in-memory transport and a virtual clock; the "peer" is whatever the test answers.

import { inspect } from 'node:util';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { stringValue } from '../../src/avp/values.js';
import { buildControl } from '../../src/codec/control.js';
import { Endpoint } from '../../src/endpoint.js';
import { DecodeError, L2tpError, UsageError } from '../../src/errors.js';
import { nodeRandomBytes } from '../../src/node/clock.js';
import { VirtualClock } from '../../src/testing/index.js';
import type { DatagramData, DatagramTransport, PeerAddress } from '../../src/transport.js';
import { downCode, type Tunnel, TunnelDownError } from '../../src/tunnel.js';

const PEER = { address: '192.0.2.1', port: 1701 };

/** A transport whose sends are recorded, or refused with `failWith`. */
class FakeTransport implements DatagramTransport {
  readonly sent: Uint8Array[] = [];
  failWith: Error | undefined;
  #handler: ((bytes: Uint8Array, from: PeerAddress) => void) | undefined;
  send(data: DatagramData, _peer: PeerAddress): void {
    if (this.failWith !== undefined) throw this.failWith;
    this.sent.push(data instanceof Uint8Array ? data : data[0]);
  }
  onDatagram(handler: (bytes: Uint8Array, from: PeerAddress) => void): () => void {
    this.#handler = handler;
    return () => {
      this.#handler = undefined;
    };
  }
  /** A datagram from `from` (default: the peer). */
  deliver(bytes: Uint8Array, from: PeerAddress = PEER): void {
    this.#handler?.(bytes, from);
  }
  close(): void {}
}

function setup() {
  const clock = new VirtualClock();
  const timers = new Set<{ at: number; fn: () => void }>();
  const transport = new FakeTransport();
  const endpoint = new Endpoint({
    transport,
    clock,
    timers: {
      set: (ms, fn) => {
        const t = { at: clock.now() + ms, fn };
        timers.add(t);
        return t;
      },
      clear: (h) => timers.delete(h as { at: number; fn: () => void }),
    },
    randomBytes: nodeRandomBytes,
  });
  // Runs the virtual timers up to `ms` from now, in order.
  const advance = async (ms: number) => {
    const end = clock.now() + ms;
    for (;;) {
      let next: { at: number; fn: () => void } | undefined;
      for (const t of timers) if (t.at <= end && (next === undefined || t.at < next.at)) next = t;
      if (next === undefined) break;
      timers.delete(next);
      clock.advanceTo(Math.max(next.at, clock.now()));
      next.fn();
      await Promise.resolve();
    }
    clock.advanceTo(end);
    await Promise.resolve();
  };
  return { clock, transport, endpoint, advance };
}

// Errors thrown from microtasks (what the Endpoint does with a fault nobody heard), collected
// instead of reaching the test runner as unhandled.
function catchMicrotaskThrows(): unknown[] {
  const thrown: unknown[] = [];
  const real = globalThis.queueMicrotask;
  vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((fn) =>
    real(() => {
      try {
        fn();
      } catch (err) {
        thrown.push(err);
      }
    }),
  );
  return thrown;
}

// Starts the tunnel through a call and closes that call before it is up: the tunnel then keeps
// retransmitting with no promise pending, so a later fault belongs to nobody.
async function openAndDropCall(tunnel: Tunnel, advance: (ms: number) => Promise<void>) {
  const opening = tunnel.openSession().catch(() => undefined);
  await advance(10);
  for (const s of tunnel.sessions.values()) s.close();
  await opening;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('errors never vanish', () => {
  test('a peer no datagram could reach is refused at once (UsageError), before a tunnel exists', () => {
    const { endpoint } = setup();
    expect(() =>
      endpoint.tunnel({ address: '127.0.0.1', port: 99999 }, { mode: 'lac', hostName: 'lac' }),
    ).toThrow(UsageError);
    expect(() =>
      endpoint.tunnel({ address: '', port: 1701 }, { mode: 'lac', hostName: 'lac' }),
    ).toThrow(/peer address/);
    expect(endpoint.tunnels.size).toBe(0);
  });

  test('connect() rejects with the host fault that stops it; the tunnel is destroyed', async () => {
    const { endpoint, transport } = setup();
    transport.failWith = new Error('EPERM: the host said no');
    const tunnel = endpoint.tunnel(PEER, { mode: 'lac', hostName: 'lac' });
    await expect(tunnel.connect()).rejects.toThrow('EPERM: the host said no');
    expect(tunnel.closed).toBe(true);
    expect(tunnel.downReason).toMatchObject({ by: 'local', message: 'destroyed' });
  });

  test('a fault during connect() is taken by connect(), not emitted', async () => {
    const { endpoint, transport, advance } = setup();
    const heard: Error[] = [];
    endpoint.on('error', (e) => heard.push(e));
    const tunnel = endpoint.tunnel(PEER, { mode: 'lac', hostName: 'lac' });
    const pending = tunnel.connect().catch((e: unknown) => e);
    await advance(10);
    const fault = new Error('ENOBUFS');
    transport.failWith = fault;
    await advance(1100); // the SCCRQ retransmission fails
    expect(await pending).toBe(fault);
    expect(heard).toEqual([]);
  });

  test("a fault no promise takes goes to the endpoint's 'error' listeners", async () => {
    const { endpoint, transport, advance } = setup();
    const heard: Error[] = [];
    endpoint.on('error', (e) => heard.push(e));
    const tunnel = endpoint.tunnel(PEER, { mode: 'lac', hostName: 'lac' });
    await openAndDropCall(tunnel, advance);
    const fault = new Error('EHOSTUNREACH');
    transport.failWith = fault;
    await advance(1100);
    expect(heard).toContain(fault);
  });

  test("a tunnel's own 'error' listener hears a fault; nothing is thrown then", async () => {
    const { endpoint, transport, advance } = setup();
    const tunnel = endpoint.tunnel(PEER, { mode: 'lac', hostName: 'lac' });
    const heard: Error[] = [];
    tunnel.on('error', (e) => heard.push(e));
    const thrown = catchMicrotaskThrows();
    await openAndDropCall(tunnel, advance);
    const fault = new Error('EACCES');
    transport.failWith = fault;
    await advance(1100);
    expect(heard).toContain(fault);
    expect(thrown).toEqual([]);
  });

  test("without an 'error' listener, a fault nothing takes is thrown, never dropped", async () => {
    const { endpoint, transport, advance } = setup();
    const tunnel = endpoint.tunnel(PEER, { mode: 'lac', hostName: 'lac' });
    const thrown = catchMicrotaskThrows();
    const fault = new Error('EHOSTUNREACH');
    await openAndDropCall(tunnel, advance);
    transport.failWith = fault;
    await advance(1100);
    expect(thrown).toContain(fault);
  });
});

describe('every failure has its own code', () => {
  test.each([
    [{ by: 'peer' as const, resultCode: 2 }, false, 'L2TP_ERR_REFUSED'],
    [{ by: 'peer' as const, resultCode: 1 }, true, 'L2TP_ERR_PEER_CLOSED'],
    [{ by: 'timeout' as const }, false, 'L2TP_ERR_RETRIES_EXHAUSTED'],
    [{ by: 'error' as const, resultCode: 4 }, false, 'L2TP_ERR_PROTOCOL'],
    [{ by: 'tie-breaker' as const }, false, 'L2TP_ERR_TIE_LOST'],
    [{ by: 'local' as const, message: 'destroyed' }, false, 'L2TP_ERR_DESTROYED'],
    [{ by: 'local' as const, resultCode: 1 }, false, 'L2TP_ERR_CLOSED'],
  ])('%o (was up: %s) → %s', (reason, wasUp, code) => {
    expect(downCode(reason, wasUp)).toBe(code);
    expect(new TunnelDownError('tunnel', reason, wasUp).code).toBe(code);
  });

  test('no answer: connect() rejects with L2TP_ERR_RETRIES_EXHAUSTED after the retry budget', async () => {
    const { endpoint, advance } = setup();
    const tunnel = endpoint.tunnel(PEER, { mode: 'lac', hostName: 'lac', maxRetransmits: 2 });
    const pending = tunnel.connect().catch((e: unknown) => e);
    await advance(20_000);
    expect(await pending).toMatchObject({
      code: 'L2TP_ERR_RETRIES_EXHAUSTED',
      reason: { by: 'timeout' },
    });
  });

  test('an abort rejects with an L2tpError L2TP_ERR_ABORTED whose cause is the signal reason', async () => {
    const { endpoint } = setup();
    const tunnel = endpoint.tunnel(PEER, { mode: 'lac', hostName: 'lac' });
    const controller = new AbortController();
    const reason = new Error('operator gave up');
    const pending = tunnel.connect({ signal: controller.signal }).catch((e: unknown) => e);
    controller.abort(reason);
    const err = await pending;
    expect(err).toBeInstanceOf(L2tpError);
    expect(err).toMatchObject({ code: 'L2TP_ERR_ABORTED', cause: reason });
    expect((err as Error).message).toMatch(/operator gave up/);
  });

  test('printed errors show no undefined fields', () => {
    const text = inspect(new UsageError('bad option'));
    expect(text).not.toMatch(/undefined/);
    expect(inspect(new DecodeError('L2TP_ERR_TRUNCATED', 'short', { offset: 3 }))).toMatch(
      /offset: 3/,
    );
  });
});

describe('close() before the peer ever answered (issue #14)', () => {
  test('ends at once: one StopCCN, no post-close hold, outcome unacknowledged', async () => {
    const { endpoint, transport, advance, clock } = setup();
    const tunnel = endpoint.tunnel(PEER, { mode: 'lac', hostName: 'lac' });
    void tunnel.connect().catch(() => undefined);
    await advance(10);
    const t0 = clock.now();
    const closing = tunnel.close();
    await advance(0);
    expect(await closing).toBe('unacknowledged');
    expect(clock.now() - t0).toBe(0);
    expect(tunnel.closed).toBe(true);
    expect(transport.sent.map((b) => b[0])).toEqual([0xc8, 0xc8]); // SCCRQ, StopCCN
    await advance(60_000);
    expect(transport.sent).toHaveLength(2); // nothing retransmitted
  });
});

describe('a refusal of our SCCRQ addressed to Tunnel ID 0 or 65535 (issue #14)', () => {
  test.each([0, 0xffff])(
    'tunnel id %d: ZLB + StopCCN 2/6 from the peer end the half-open tunnel at once with its reason',
    async (tunnelId) => {
      const { endpoint, transport, advance } = setup();
      const tunnel = endpoint.tunnel(PEER, { mode: 'lac', hostName: 'lac' });
      const pending = tunnel.connect().catch((e: unknown) => e);
      await advance(5);
      // What xl2tpd sends when it cannot read our SCCRQ (e.g. a hidden Assigned Tunnel ID).
      transport.deliver(
        buildControl(
          { version: 2, tunnelId, sessionId: 0, ns: 1, nr: 1 },
          { type: 'ZLB', version: 2 },
        ),
      );
      transport.deliver(
        buildControl(
          { version: 2, tunnelId, sessionId: 0, ns: 0, nr: 1 },
          {
            type: 'StopCCN',
            version: 2,
            assignedTunnelId: 0,
            resultCode: {
              resultCode: 2,
              errorCode: 6,
              errorMessage: stringValue('no hidden AVPs'),
            },
          },
        ),
      );
      await advance(1);
      expect(await pending).toMatchObject({
        code: 'L2TP_ERR_REFUSED',
        reason: { by: 'peer', resultCode: 2, errorCode: 6, message: 'no hidden AVPs' },
      });
      expect(endpoint.stats().datagramsUnknownTunnel).toBe(0);
    },
  );

  test('from another address it is only counted', async () => {
    const { endpoint, transport, advance } = setup();
    const tunnel = endpoint.tunnel(PEER, { mode: 'lac', hostName: 'lac' });
    void tunnel.connect().catch(() => undefined);
    await advance(5);
    transport.deliver(
      buildControl(
        { version: 2, tunnelId: 0xffff, sessionId: 0, ns: 0, nr: 1 },
        { type: 'StopCCN', version: 2, assignedTunnelId: 0, resultCode: { resultCode: 2 } },
      ),
      { address: '192.0.2.99', port: 1701 },
    );
    await advance(1);
    expect(tunnel.engine.state).toBe('wait-ctl-reply');
    expect(endpoint.stats().datagramsUnknownTunnel).toBe(1);
    tunnel.destroy();
  });
});
