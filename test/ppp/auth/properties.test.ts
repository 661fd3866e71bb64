/**
 * Properties (fast-check, fixed seeds):
 * - the decoders of untrusted bytes throw nothing but DecodeError, and the message parsers
 *   nothing at all, on arbitrary and on near-valid input; valid packets round-trip;
 * - every machine, driven by arbitrary packets, timer expiries and host answers, never throws,
 *   transmits only its own protocol, and reports at most one outcome event before a failure;
 * - a peer and an authenticator on a lossy link never disagree: the right password never fails
 *   as rejected, the wrong one never succeeds, and a peer success implies an authenticator success.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { DecodeError } from '../../../src/errors.js';
import { nodePppAuthCrypto as crypto } from '../../../src/node/ppp-crypto.js';
import {
  ChapMd5Authenticator,
  ChapMd5Peer,
  decodeChap,
  encodeChapChallengeOrResponse,
  encodeChapResult,
} from '../../../src/ppp/auth/chap.js';
import {
  decodeMsChapV2Response,
  MsChapV2Authenticator,
  MsChapV2Peer,
  parseMsChapV2Failure,
  parseMsChapV2Success,
} from '../../../src/ppp/auth/mschapv2.js';
import {
  decodePap,
  encodePapReply,
  encodePapRequest,
  PapAuthenticator,
  PapPeer,
} from '../../../src/ppp/auth/pap.js';
import type { AuthOutput, PppAuthProtocol, VerifyRequest } from '../../../src/ppp/auth/types.js';
import { AuthLink, counterBytes } from './harness.js';

const SEED = { seed: 1994, numRuns: 300 };

/** Bytes shaped like a PAP/CHAP packet: a plausible Code and a Length near the real one. */
const nearPacket = fc
  .tuple(
    fc.integer({ min: 0, max: 9 }),
    fc.nat(255),
    fc.uint8Array({ maxLength: 70 }),
    fc.integer({ min: -3, max: 3 }),
    fc.uint8Array({ maxLength: 3 }),
  )
  .map(([code, id, data, skew, padding]) => {
    const length = Math.max(0, Math.min(0xffff, 4 + data.length + skew));
    const out = new Uint8Array(4 + data.length + padding.length);
    out[0] = code;
    out[1] = id;
    out[2] = length >>> 8;
    out[3] = length & 0xff;
    out.set(data, 4);
    out.set(padding, 4 + data.length);
    return out;
  });

const anyPacket = fc.oneof(fc.uint8Array({ maxLength: 80 }), nearPacket);

function onlyDecodeErrors(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).code).toMatch(/^L2TP_ERR_(TRUNCATED|BAD_LENGTH)$/);
  }
}

describe('decoders of untrusted bytes', () => {
  test.prop([anyPacket], SEED)('decodePap and decodeChap throw only DecodeError', (bytes) => {
    onlyDecodeErrors(() => decodePap(bytes));
    onlyDecodeErrors(() => decodeChap(bytes));
    onlyDecodeErrors(() => decodeMsChapV2Response(bytes));
  });

  test.prop([fc.uint8Array({ maxLength: 120 }), fc.string({ maxLength: 60 })], SEED)(
    'the MS-CHAP-V2 message parsers never throw',
    (bytes, text) => {
      for (const b of [bytes, new TextEncoder().encode(text)]) {
        expect(typeof parseMsChapV2Success(b).message).toBe('string');
        expect(typeof parseMsChapV2Failure(b).message).toBe('string');
      }
    },
  );

  test.prop(
    [
      fc.nat(255),
      fc.uint8Array({ maxLength: 255 }),
      fc.uint8Array({ maxLength: 255 }),
      fc.uint8Array({ minLength: 1, maxLength: 255 }),
    ],
    SEED,
  )('valid packets round-trip', (id, a, b, value) => {
    expect(decodePap(encodePapRequest(id, a, b))).toEqual({
      kind: 'request',
      identifier: id,
      peerId: a,
      password: b,
    });
    expect(decodePap(encodePapReply('nak', id, a))).toEqual({
      kind: 'nak',
      identifier: id,
      message: a,
    });
    expect(decodeChap(encodeChapChallengeOrResponse('response', id, value, b))).toEqual({
      kind: 'response',
      identifier: id,
      value,
      name: b,
    });
    expect(decodeChap(encodeChapResult('failure', id, a))).toEqual({
      kind: 'failure',
      identifier: id,
      message: a,
    });
  });
});

type Machine = PppAuthProtocol<never> | PppAuthProtocol<unknown>;

const makers: Record<string, () => Machine> = {
  'PAP peer': () => new PapPeer({ peerId: 'u', password: 'p', restartTimer: 100 }),
  'PAP authenticator': () => new PapAuthenticator({ waitTimeout: 1000 }),
  'CHAP-MD5 peer': () => new ChapMd5Peer({ name: 'u', secret: 's', crypto, restartTimer: 100 }),
  'CHAP-MD5 authenticator': () =>
    new ChapMd5Authenticator({ name: 'a', randomBytes: counterBytes(), crypto, restartTimer: 100 }),
  'MS-CHAP-V2 peer': () =>
    new MsChapV2Peer({ name: 'u', password: 'p', randomBytes: counterBytes(), crypto }),
  'MS-CHAP-V2 authenticator': () =>
    new MsChapV2Authenticator({ name: 'a', randomBytes: counterBytes(), crypto }),
};

/** Well-formed packets of every kind with small Identifiers, so some match what is open. */
const wellFormed = fc.oneof(
  fc.tuple(fc.nat(3), fc.uint8Array({ maxLength: 4 })).map(([id, b]) => encodePapRequest(id, b, b)),
  fc
    .tuple(fc.boolean(), fc.nat(3), fc.uint8Array({ maxLength: 4 }))
    .map(([ack, id, m]) => encodePapReply(ack ? 'ack' : 'nak', id, m)),
  fc
    .tuple(
      fc.boolean(),
      fc.nat(255),
      fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 20 }),
        fc.uint8Array({ minLength: 49, maxLength: 49 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
      ),
    )
    .map(([challenge, id, v]) =>
      encodeChapChallengeOrResponse(
        challenge ? 'challenge' : 'response',
        id,
        v,
        Uint8Array.of(0x75),
      ),
    ),
  fc
    .tuple(fc.boolean(), fc.nat(255), fc.uint8Array({ maxLength: 60 }))
    .map(([ok, id, m]) => encodeChapResult(ok ? 'success' : 'failure', id, m)),
);

const step = fc.oneof(
  anyPacket.map((packet) => ({ packet })),
  wellFormed.map((packet) => ({ packet })),
  fc.nat(500).map((dt) => ({ dt })),
  fc.tuple(fc.nat(2), fc.boolean()).map(([token, ok]) => ({ token, ok })),
  fc.constant({ stop: true }),
);

/** A well-formed host answer for whichever method asked. */
function answer(request: VerifyRequest | undefined, ok: boolean): unknown {
  if (request === undefined || !ok) return { ok: false };
  switch (request.method) {
    case 'pap':
      return { ok: true };
    case 'chap-md5':
      return { secret: 's' };
    default:
      return { password: 'p' };
  }
}

describe('machines under arbitrary input', () => {
  for (const [name, make] of Object.entries(makers)) {
    test.prop([fc.array(step, { maxLength: 40 })], { seed: 1661, numRuns: 150 })(
      `${name}: never throws, sends only its protocol, decides at most once before failing`,
      (steps) => {
        const m = make();
        let now = 0;
        const outputs: AuthOutput[] = [...m.start(now)];
        let lastVerify: VerifyRequest | undefined;
        const note = (out: AuthOutput[]) => {
          for (const o of out) {
            if (o.type === 'verify') lastVerify = o;
            outputs.push(o);
          }
        };
        for (const s of steps) {
          if ('packet' in s) note(m.handle(s.packet, now));
          else if ('dt' in s) {
            now += s.dt;
            note(m.handleTimeout(now));
          } else if ('token' in s) {
            const token = (lastVerify?.token ?? 0) + s.token - 1;
            note(
              (m as PppAuthProtocol<unknown>).resolveVerify(token, answer(lastVerify, s.ok), now),
            );
          } else m.stop();
          const d = m.nextDeadline();
          if (d !== undefined) expect(d).toBeGreaterThanOrEqual(now);
        }
        for (const o of outputs) {
          if (o.type === 'transmit') expect(o.protocol).toBe(m.protocol);
        }
        const events = outputs.filter(
          (o) => o.type === 'auth-success' || o.type === 'auth-failure',
        );
        expect(events.filter((e) => e.type === 'auth-success').length).toBeLessThanOrEqual(1);
        const firstFailure = events.findIndex((e) => e.type === 'auth-failure');
        if (firstFailure >= 0) expect(events.slice(firstFailure + 1)).toEqual([]);
        if (m.role === 'peer') expect(outputs.some((o) => o.type === 'verify')).toBe(false);
      },
    );
  }
});

type Method = 'pap' | 'chap-md5' | 'mschapv2';

function pair(method: Method, name: string, password: string, restartTimer: number) {
  const common = { restartTimer, maxTransmissions: 4 };
  switch (method) {
    case 'pap':
      return {
        peer: new PapPeer({ peerId: name, password, ...common }),
        auth: new PapAuthenticator({ waitTimeout: 60_000 }),
      };
    case 'chap-md5':
      return {
        peer: new ChapMd5Peer({ name, secret: password, crypto, waitTimeout: 60_000, ...common }),
        auth: new ChapMd5Authenticator({
          name: 'lns',
          randomBytes: counterBytes(5),
          crypto,
          ...common,
        }),
      };
    default:
      return {
        peer: new MsChapV2Peer({
          name,
          password,
          randomBytes: counterBytes(6),
          crypto,
          waitTimeout: 60_000,
          ...common,
        }),
        auth: new MsChapV2Authenticator({
          name: 'lns',
          randomBytes: counterBytes(5),
          crypto,
          ...common,
        }),
      };
  }
}

describe('peer and authenticator on a lossy link', () => {
  test.prop(
    [
      fc.constantFrom<Method>('pap', 'chap-md5', 'mschapv2'),
      fc.string({ minLength: 1, maxLength: 20 }),
      fc.string({ minLength: 1, maxLength: 20 }),
      fc.boolean(),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 1, max: 3000 }),
      fc.nat(4000),
    ],
    { seed: 2759, numRuns: 120 },
  )(
    'never disagree, and the outcome follows the password',
    async (method, name, password, right, losses, latency, verifyDelay) => {
      const { peer, auth } = pair(method, name, right ? password : `${password}!`, 1000);
      const host = async (r: VerifyRequest): Promise<unknown> => {
        const known = r.peerName === name;
        switch (r.method) {
          case 'pap':
            return { ok: known && r.password === password };
          case 'chap-md5':
            return known ? { secret: password } : { ok: false };
          default:
            return known ? { password } : { ok: false };
        }
      };
      const link = new AuthLink<unknown>(peer, auth as PppAuthProtocol<unknown>, {
        host,
        latency,
        verifyDelay,
        drop: (_from, _p, n) => losses[n % losses.length] === true && n < 30,
      });
      link.start();
      await link.run();
      const p = link.events('peer');
      const a = link.events('authenticator');
      expect(p.length).toBeLessThanOrEqual(1);
      expect(a.length).toBeLessThanOrEqual(1);
      if (p[0]?.type === 'auth-success') expect(a[0]?.type).toBe('auth-success');
      if (right) {
        for (const e of [...p, ...a]) {
          if (e.type === 'auth-failure') expect(e.code).toBe('PPP_AUTH_TIMEOUT');
        }
      } else {
        for (const e of [...p, ...a]) expect(e.type).toBe('auth-failure');
      }
      if (p[0]?.type === 'auth-success') expect(p[0].peerName).toBe(name);
    },
  );
});
