/**
 * PppAuthPhase: two phases wired back to back on a virtual clock, as two PppLinks would drive
 * them: one direction, both directions with different protocols, both with CHAP (where every
 * CHAP packet reaches both machines), refusals in either direction, timeouts, rechallenge.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { nodePppAuthCrypto as crypto } from '../../../src/node/ppp-crypto.js';
import {
  type AnyVerifyResult,
  type AuthPhaseOutput,
  type AuthPhaseStart,
  PppAuthPhase,
  type PppAuthPhaseOptions,
} from '../../../src/ppp/auth/phase.js';
import type { VerifyRequest } from '../../../src/ppp/auth/types.js';
import { VirtualClock } from '../../../src/testing/clock.js';
import { counterBytes } from './harness.js';

/** A host for either side: knows `users` (name → password). */
function hostFor(users: Record<string, string>) {
  return (r: VerifyRequest): AnyVerifyResult => {
    const password = users[r.peerName];
    switch (r.method) {
      case 'pap':
        return { ok: password !== undefined && password === r.password };
      case 'chap-md5':
        return password === undefined ? { ok: false } : { secret: password };
      default:
        return password === undefined ? { ok: false, message: 'who?' } : { password };
    }
  };
}

interface End {
  readonly phase: PppAuthPhase;
  readonly host: (r: VerifyRequest) => AnyVerifyResult;
  readonly outputs: AuthPhaseOutput[];
}

/** Two phases joined with `latency`; hosts answer asynchronously (after a microtask). */
async function run(
  a: End,
  b: End,
  startA: AuthPhaseStart,
  startB: AuthPhaseStart,
  opts: { latency?: number; drop?: (from: End, packet: Uint8Array) => boolean } = {},
): Promise<VirtualClock> {
  const clock = new VirtualClock();
  const latency = opts.latency ?? 5;
  const wire: { at: number; to: End; protocol: number; packet: Uint8Array }[] = [];
  const verifies: { end: End; request: VerifyRequest }[] = [];
  const take = (from: End, out: AuthPhaseOutput[]) => {
    for (const o of out) {
      from.outputs.push(o);
      if (o.type === 'transmit' && !(opts.drop?.(from, o.packet) ?? false)) {
        wire.push({ at: clock.now() + latency, to: from === a ? b : a, ...o });
      }
      if (o.type === 'notify' && o.detail.type === 'verify') {
        verifies.push({ end: from, request: o.detail });
      }
    }
  };
  take(a, a.phase.start(0, startA));
  take(b, b.phase.start(0, startB));
  for (let i = 0; i < 1000; i++) {
    while (verifies.length > 0) {
      const v = verifies.shift() as { end: End; request: VerifyRequest };
      const result = await Promise.resolve(v.end.host(v.request));
      take(v.end, v.end.phase.resolveVerify(v.request.token, result, clock.now()));
    }
    const times = [...wire.map((w) => w.at), a.phase.nextDeadline(), b.phase.nextDeadline()].filter(
      (t): t is number => t !== undefined,
    );
    if (times.length === 0) return clock;
    const now = clock.advanceTo(Math.max(clock.now(), Math.min(...times)));
    for (const w of wire.filter((x) => x.at <= now)) {
      wire.splice(wire.indexOf(w), 1);
      take(w.to, w.to.phase.handle(w.protocol, w.packet, now));
    }
    take(a, a.phase.handleTimeout(now));
    take(b, b.phase.handleTimeout(now));
  }
  throw new Error('did not settle');
}

function end(options: Partial<PppAuthPhaseOptions>, users: Record<string, string> = {}): End {
  return {
    phase: new PppAuthPhase({ crypto, randomBytes: counterBytes(11), ...options }),
    host: hostFor(users),
    outputs: [],
  };
}

const verdicts = (e: End) => e.outputs.filter((o) => o.type === 'success' || o.type === 'failure');
const NONE: AuthPhaseStart = { authenticatePeer: undefined, authenticateSelf: undefined };

describe('PppAuthPhase', () => {
  it('nothing to do: success at once', () => {
    const p = new PppAuthPhase({ crypto, randomBytes: counterBytes() });
    expect(p.start(0, NONE)).toEqual([{ type: 'success' }]);
    expect(p.nextDeadline()).toBeUndefined();
  });

  for (const method of ['pap', 'chap-md5', 'mschapv2'] as const) {
    it(`${method}, one direction: the server learns who the client is`, async () => {
      const server = end({ authenticatorName: 'lns' }, { alice: 'wonderland' });
      const client = end({ credentials: { name: 'alice', password: 'wonderland' } });
      await run(
        server,
        client,
        { authenticatePeer: method, authenticateSelf: undefined },
        { authenticatePeer: undefined, authenticateSelf: method },
      );
      expect(verdicts(server)).toEqual([{ type: 'success', peerName: 'alice' }]);
      expect(verdicts(client)).toEqual([{ type: 'success' }]);
      expect(
        server.outputs
          .filter((o) => o.type === 'notify')
          .map((o) => o.type === 'notify' && o.detail.type),
      ).toEqual(['verify', 'auth-success']);
    });

    it(`${method}, a wrong password: failure on both ends, blamed right`, async () => {
      const server = end({}, { alice: 'wonderland' });
      const client = end({ credentials: { name: 'alice', password: 'nope' } });
      await run(
        server,
        client,
        { authenticatePeer: method, authenticateSelf: undefined },
        { authenticatePeer: undefined, authenticateSelf: method },
      );
      expect(verdicts(server)).toMatchObject([{ type: 'failure', by: 'local' }]);
      expect(verdicts(client)).toMatchObject([{ type: 'failure', by: 'peer' }]);
      const name = { pap: 'PAP', 'chap-md5': 'CHAP-MD5', mschapv2: 'MS-CHAPv2' }[method];
      const msg = verdicts(server)[0];
      expect(msg?.type === 'failure' && msg.message).toMatch(
        new RegExp(`^we refused the peer’s ${name} login \\(PPP_AUTH_REJECTED\\): `),
      );
      const theirs = verdicts(client)[0];
      expect(theirs?.type === 'failure' && theirs.message).toMatch(
        new RegExp(`^the peer refused our ${name} login \\(PPP_AUTH_REJECTED\\): `),
      );
    });
  }

  it('both directions with CHAP: each end proves itself and checks the other', async () => {
    const a = end(
      { authenticatorName: 'a', credentials: { name: 'a', password: 'secret-a' } },
      { b: 'secret-b' },
    );
    const b = end(
      { authenticatorName: 'b', credentials: { name: 'b', password: 'secret-b' } },
      { a: 'secret-a' },
    );
    await run(
      a,
      b,
      { authenticatePeer: 'chap-md5', authenticateSelf: 'chap-md5' },
      { authenticatePeer: 'chap-md5', authenticateSelf: 'chap-md5' },
    );
    expect(verdicts(a)).toEqual([{ type: 'success', peerName: 'b' }]);
    expect(verdicts(b)).toEqual([{ type: 'success', peerName: 'a' }]);
    expect(a.phase.peer?.discarded).toBe(0);
    expect(a.phase.authenticator?.discarded).toBe(0);
  });

  it('both directions, different protocols (MS-CHAP-V2 one way, PAP the other)', async () => {
    const a = end({ credentials: { name: 'a', password: 'pa' } }, { b: 'pb' });
    const b = end({ credentials: { name: 'b', password: 'pb' } }, { a: 'pa' });
    await run(
      a,
      b,
      { authenticatePeer: 'mschapv2', authenticateSelf: 'pap' },
      { authenticatePeer: 'pap', authenticateSelf: 'mschapv2' },
    );
    expect(verdicts(a)).toEqual([{ type: 'success', peerName: 'b' }]);
    expect(verdicts(b)).toEqual([{ type: 'success', peerName: 'a' }]);
  });

  it('one direction failing fails the phase, even when the other succeeded', async () => {
    const a = end({ credentials: { name: 'a', password: 'pa' } }, { b: 'pb' });
    const b = end({ credentials: { name: 'b', password: 'wrong' } }, { a: 'pa' });
    await run(
      a,
      b,
      { authenticatePeer: 'pap', authenticateSelf: 'chap-md5' },
      { authenticatePeer: 'chap-md5', authenticateSelf: 'pap' },
    );
    expect(verdicts(a)).toMatchObject([{ type: 'failure', by: 'local' }]);
    expect(verdicts(b)).toMatchObject([{ type: 'failure', by: 'peer' }]);
  });

  it('a silent peer: failure by timeout', async () => {
    const server = end({ restartTimer: 100, maxTransmissions: 2 }, { alice: 'x' });
    const client = end({ credentials: { name: 'alice', password: 'x' } });
    const clock = await run(
      server,
      client,
      { authenticatePeer: 'chap-md5', authenticateSelf: undefined },
      NONE,
      { drop: (from) => from === server },
    );
    expect(verdicts(server)).toMatchObject([{ type: 'failure', by: 'timeout' }]);
    expect(clock.now()).toBe(200);
  });

  it('a failed rechallenge after success reports failure', async () => {
    const users: Record<string, string> = { alice: 'wonderland' };
    const server = end({}, users);
    const client = end({ credentials: { name: 'alice', password: 'wonderland' } });
    await run(
      server,
      client,
      { authenticatePeer: 'chap-md5', authenticateSelf: undefined },
      {
        authenticatePeer: undefined,
        authenticateSelf: 'chap-md5',
      },
    );
    users.alice = 'changed';
    const challenge = server.phase.rechallenge(100);
    const c = challenge[0];
    const response = client.phase.handle(
      0xc223,
      c?.type === 'transmit' ? c.packet : new Uint8Array(0),
      101,
    );
    const r = response[0];
    const verify = server.phase.handle(
      0xc223,
      r?.type === 'transmit' ? r.packet : new Uint8Array(0),
      102,
    );
    const v = verify[0];
    const request = v?.type === 'notify' && v.detail.type === 'verify' ? v.detail : undefined;
    const out = server.phase.resolveVerify(
      request?.token ?? -1,
      server.host(request as VerifyRequest),
      103,
    );
    expect(out.filter((o) => o.type === 'failure')).toHaveLength(1);
  });

  it('needs credentials to authenticate itself, and only CHAP can rechallenge', () => {
    const p = new PppAuthPhase({ crypto, randomBytes: counterBytes() });
    expect(() => p.start(0, { authenticatePeer: undefined, authenticateSelf: 'pap' })).toThrow(
      UsageError,
    );
    p.start(0, { authenticatePeer: 'pap', authenticateSelf: undefined });
    expect(() => p.rechallenge(1)).toThrow(UsageError);
    p.stop(1);
    expect(p.nextDeadline()).toBeUndefined();
  });
});
