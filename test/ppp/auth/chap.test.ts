/**
 * CHAP (RFC 1994) with MD5: the codec against hand-written bytes, the Response Value against
 * values computed separately (Python hashlib, `openssl dgst -md5`), and ChapMd5Peer against
 * ChapMd5Authenticator on a virtual clock with an async host.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DecodeError, UsageError } from '../../../src/errors.js';
import { nodePppAuthCrypto as crypto } from '../../../src/node/ppp-crypto.js';
import {
  ChapCode,
  ChapMd5Authenticator,
  ChapMd5Peer,
  chapMd5Response,
  decodeChap,
  encodeChapChallengeOrResponse,
  encodeChapResult,
} from '../../../src/ppp/auth/chap.js';
import type {
  ChapMd5VerifyRequest,
  ChapMd5VerifyResult,
  VerifyRequest,
} from '../../../src/ppp/auth/types.js';
import { hex } from '../../helpers/hex.js';
import { AuthLink, counterBytes } from './harness.js';

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

/** A host that knows alice's secret; records every question. */
const secrets =
  (calls: ChapMd5VerifyRequest[] = []) =>
  async (r: VerifyRequest): Promise<ChapMd5VerifyResult> => {
    if (r.method !== 'chap-md5') throw new Error(`a CHAP-MD5 host asked about ${r.method}`);
    calls.push(r);
    if (r.peerName === 'alice') return { secret: 'wonderland' };
    return { ok: false, message: `no such user ${r.peerName}` };
  };

const authenticator = (
  extra: Partial<ConstructorParameters<typeof ChapMd5Authenticator>[0]> = {},
) =>
  new ChapMd5Authenticator({
    name: 'lns',
    randomBytes: counterBytes(7),
    crypto,
    restartTimer: 1000,
    ...extra,
  });

describe('CHAP codec (RFC 1994 §4)', () => {
  it('encodes Challenge, Response, Success and Failure', () => {
    expect(
      encodeChapChallengeOrResponse('challenge', 1, hex`0102030405060708`, ascii('lns')),
    ).toEqual(
      hex`01 01 0010  08 0102030405060708  6c6e73  // Code 1, Id 1, Length 16, Value-Size 8, Name "lns"`,
    );
    expect(encodeChapChallengeOrResponse('response', 1, hex`aa`, new Uint8Array(0))).toEqual(
      hex`02 01 0006 01 aa`,
    );
    expect(encodeChapResult('success', 9, ascii('ok'))).toEqual(hex`03 09 0006 6f6b`);
    expect(encodeChapResult('failure', 9, new Uint8Array(0))).toEqual(hex`04 09 0004`);
  });

  it('decodes, ignoring octets past Length', () => {
    expect(decodeChap(hex`01 01 0010 08 0102030405060708 6c6e73 0000`)).toEqual({
      kind: 'challenge',
      identifier: 1,
      value: hex`0102030405060708`,
      name: ascii('lns'),
    });
    expect(decodeChap(hex`04 02 0006 6e6f ff`)).toEqual({
      kind: 'failure',
      identifier: 2,
      message: ascii('no'),
    });
    expect(decodeChap(hex`07 02 0004`)).toMatchObject({ kind: 'unknown', code: 7 });
  });

  it('throws DecodeError with a code for short or inconsistent packets', () => {
    const cases: [Uint8Array, string][] = [
      [hex`01`, 'L2TP_ERR_TRUNCATED'],
      [hex`01 01 0002`, 'L2TP_ERR_BAD_LENGTH'],
      [hex`01 01 0009 01`, 'L2TP_ERR_TRUNCATED'],
      [hex`01 01 0004`, 'L2TP_ERR_TRUNCATED'], // no Value-Size
      [hex`02 01 0005 00`, 'L2TP_ERR_BAD_LENGTH'], // Value-Size 0
      [hex`02 01 0006 02 aa`, 'L2TP_ERR_TRUNCATED'], // Value past Length
    ];
    for (const [bytes, code] of cases) {
      let thrown: unknown;
      try {
        decodeChap(bytes);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(DecodeError);
      expect((thrown as DecodeError).code).toBe(code);
    }
  });

  it('refuses an empty or oversized Value when encoding', () => {
    expect(() =>
      encodeChapChallengeOrResponse('challenge', 1, new Uint8Array(0), ascii('x')),
    ).toThrow(UsageError);
    expect(() =>
      encodeChapChallengeOrResponse('challenge', 1, new Uint8Array(256), ascii('x')),
    ).toThrow(UsageError);
    expect(() => encodeChapResult('success', 256, new Uint8Array(0))).toThrow(UsageError);
  });
});

describe('CHAP-MD5 Response Value (RFC 1994 §4.1)', () => {
  it('is MD5(Identifier ‖ secret ‖ Challenge): golden values', () => {
    // python3: hashlib.md5(bytes([0x2a]) + b's3cr3t' + bytes.fromhex('0011…eeff')).hexdigest(),
    // and the same octets through `openssl dgst -md5`.
    expect(
      chapMd5Response(0x2a, ascii('s3cr3t'), hex`00112233445566778899aabbccddeeff`, crypto),
    ).toEqual(hex`c4835250c1d73a6276831e2065dae2a8`);
    // python3: hashlib.md5(bytes([0]) + b'secret' + bytes.fromhex('0102030405060708')).
    expect(chapMd5Response(0, ascii('secret'), hex`0102030405060708`, crypto)).toEqual(
      hex`b91906787e2fe8079e6c620856d10aad`,
    );
    const direct = createHash('md5')
      .update(Uint8Array.of(200))
      .update('k')
      .update(Uint8Array.of(1, 2, 3))
      .digest();
    expect(chapMd5Response(200, ascii('k'), Uint8Array.of(1, 2, 3), crypto)).toEqual(
      Uint8Array.from(direct),
    );
  });
});

describe('ChapMd5Peer ↔ ChapMd5Authenticator', () => {
  it('the right secret: success on both sides with the peer name, one host call', async () => {
    const calls: ChapMd5VerifyRequest[] = [];
    const auth = authenticator({ successMessage: 'Welcome' });
    const link = new AuthLink(
      new ChapMd5Peer({ name: 'alice', secret: 'wonderland', crypto }),
      auth,
      { host: secrets(calls) },
    );
    link.start();
    await link.run();
    const ok = { type: 'auth-success', method: 'chap-md5', peerName: 'alice', message: 'Welcome' };
    expect(link.events('peer')).toEqual([{ ...ok, role: 'peer' }]);
    expect(link.events('authenticator')).toEqual([{ ...ok, role: 'authenticator' }]);
    expect(calls).toHaveLength(1);
    const call = calls[0] as ChapMd5VerifyRequest;
    expect(call.identifier).toBe(auth.identifier);
    expect(call.challenge).toHaveLength(16);
    expect(call.response).toEqual(
      chapMd5Response(call.identifier, ascii('wonderland'), call.challenge, crypto),
    );
    expect(link.sent.map((s) => [s.from, s.packet[0]])).toEqual([
      ['authenticator', ChapCode.Challenge],
      ['peer', ChapCode.Response],
      ['authenticator', ChapCode.Success],
    ]);
    expect(link.clock.now()).toBe(30);
    expect(auth.nextDeadline()).toBeUndefined();
  });

  it('a wrong secret: Failure with the message, failure at once on both sides, no retry', async () => {
    const link = new AuthLink(
      new ChapMd5Peer({ name: 'alice', secret: 'guess', crypto }),
      authenticator({ failureMessage: 'Wrong secret' }),
      { host: secrets() },
    );
    link.start();
    await link.run();
    const fail = {
      type: 'auth-failure',
      method: 'chap-md5',
      code: 'PPP_AUTH_REJECTED',
      message: 'Wrong secret',
      peerName: 'alice',
    };
    expect(link.events('peer')).toEqual([{ ...fail, role: 'peer' }]);
    expect(link.events('authenticator')).toEqual([{ ...fail, role: 'authenticator' }]);
    expect(link.sent.map((s) => [s.at, s.packet[0]])).toEqual([
      [0, ChapCode.Challenge],
      [10, ChapCode.Response],
      [20, ChapCode.Failure],
    ]);
  });

  it('an unknown user: the host refuses with its own message', async () => {
    const link = new AuthLink(
      new ChapMd5Peer({ name: 'mallory', secret: 'x', crypto }),
      authenticator(),
      { host: secrets() },
    );
    link.start();
    await link.run();
    expect(link.events('peer')).toMatchObject([
      { type: 'auth-failure', message: 'no such user mallory' },
    ]);
  });

  it('retransmits the same Challenge on the Restart timer while it is lost', async () => {
    const link = new AuthLink(
      new ChapMd5Peer({ name: 'alice', secret: 'wonderland', crypto }),
      authenticator(),
      { host: secrets(), drop: (from, _p, n) => from === 'authenticator' && n < 2 },
    );
    link.start();
    await link.run();
    const challenges = link.sentWithCode('authenticator', ChapCode.Challenge);
    expect(challenges.map((s) => [s.at, s.dropped])).toEqual([
      [0, true],
      [1000, true],
      [2000, false],
    ]);
    expect(challenges[1]?.packet).toEqual(challenges[0]?.packet);
    expect(challenges[2]?.packet).toEqual(challenges[0]?.packet);
    expect(link.events('peer').map((e) => e.type)).toEqual(['auth-success']);
  });

  it('a lost Success: the peer repeats its Response and gets the same reply, no new host call', async () => {
    const calls: ChapMd5VerifyRequest[] = [];
    const link = new AuthLink(
      new ChapMd5Peer({ name: 'alice', secret: 'wonderland', crypto, restartTimer: 1000 }),
      authenticator(),
      { host: secrets(calls), drop: (from, _p, n) => from === 'authenticator' && n === 1 },
    );
    link.start();
    await link.run();
    expect(calls).toHaveLength(1);
    const responses = link.sentWithCode('peer', ChapCode.Response);
    expect(responses.map((s) => s.at)).toEqual([10, 1010]);
    expect(responses[1]?.packet).toEqual(responses[0]?.packet);
    const successes = link.sentWithCode('authenticator', ChapCode.Success);
    expect(successes.map((s) => s.dropped)).toEqual([true, false]);
    expect(successes[1]?.packet).toEqual(successes[0]?.packet);
    expect(link.events('peer').map((e) => e.type)).toEqual(['auth-success']);
    expect(link.events('authenticator').map((e) => e.type)).toEqual(['auth-success']);
  });

  it('a lost Response: the repeated Challenge gets the same Response', async () => {
    const link = new AuthLink(
      new ChapMd5Peer({ name: 'alice', secret: 'wonderland', crypto, restartTimer: 5000 }),
      authenticator(),
      { host: secrets(), drop: (from, _p, n) => from === 'peer' && n === 0 },
    );
    link.start();
    await link.run();
    const responses = link.sentWithCode('peer', ChapCode.Response);
    expect(responses.map((s) => [s.at, s.dropped])).toEqual([
      [10, true],
      [1010, false],
    ]);
    expect(link.events('authenticator').map((e) => e.type)).toEqual(['auth-success']);
  });

  it('answers only Responses with the current Identifier; the reply waits for the host', async () => {
    const calls: ChapMd5VerifyRequest[] = [];
    const link = new AuthLink(
      new ChapMd5Peer({ name: 'alice', secret: 'wonderland', crypto, restartTimer: 1000 }),
      authenticator(),
      { host: secrets(calls), verifyDelay: 2500 },
    );
    link.start();
    await link.run();
    expect(calls).toHaveLength(1);
    // The peer repeated its Response at 1010 and 2010; the authenticator sent nothing until the
    // host answered at 20 + 2500, then one Success.
    expect(link.sentWithCode('peer', ChapCode.Response).map((s) => s.at)).toEqual([10, 1010, 2010]);
    expect(link.sentWithCode('authenticator', ChapCode.Success).map((s) => s.at)).toEqual([2520]);
  });

  it('gives up after maxTransmissions Challenges', async () => {
    const auth = authenticator({ maxTransmissions: 2 });
    const link = new AuthLink(
      new ChapMd5Peer({
        name: 'alice',
        secret: 'wonderland',
        crypto,
        waitTimeout: Number.POSITIVE_INFINITY,
      }),
      auth,
      { host: secrets(), drop: (from) => from === 'authenticator' },
    );
    link.start();
    await link.run();
    expect(link.sentWithCode('authenticator', ChapCode.Challenge).map((s) => s.at)).toEqual([
      0, 1000,
    ]);
    expect(link.events('authenticator')).toEqual([
      {
        type: 'auth-failure',
        method: 'chap-md5',
        role: 'authenticator',
        code: 'PPP_AUTH_TIMEOUT',
        message: 'no Response to 2 Challenges',
      },
    ]);
    expect(link.clock.now()).toBe(2000);
    expect(link.events('peer')).toEqual([]);
  });

  it('the peer gives up when no Challenge comes within waitTimeout', () => {
    const peer = new ChapMd5Peer({ name: 'a', secret: 's', crypto, waitTimeout: 4000 });
    expect(peer.start(0)).toEqual([]);
    expect(peer.nextDeadline()).toBe(4000);
    expect(peer.handleTimeout(4000)).toMatchObject([
      { type: 'auth-failure', role: 'peer', code: 'PPP_AUTH_TIMEOUT' },
    ]);
  });

  it('rechallenges: a new Identifier and Value, no second success event, failure ends it', async () => {
    let secret = 'wonderland';
    const peer = new ChapMd5Peer({ name: 'alice', secret: () => secret, crypto });
    const auth = authenticator();
    const link = new AuthLink(peer, auth, { host: secrets() });
    link.start();
    await link.run();
    const first = auth.identifier;
    // A successful rechallenge.
    const out1 = auth.rechallenge(link.clock.now());
    expect(auth.identifier).toBe(((first as number) + 1) & 0xff);
    expect(out1).toHaveLength(1);
    expect(() => auth.rechallenge(link.clock.now())).toThrow(UsageError); // one at a time
    const c1 = out1[0]?.type === 'transmit' ? out1[0].packet : new Uint8Array(0);
    const r1 = peer.handle(c1, link.clock.now());
    expect(r1).toHaveLength(1);
    const v1 = auth.handle(r1[0]?.type === 'transmit' ? r1[0].packet : new Uint8Array(0), 1);
    const token1 = v1[0]?.type === 'verify' ? v1[0].token : -1;
    const s1 = auth.resolveVerify(token1, { secret: 'wonderland' }, 2);
    expect(s1.map((o) => o.type)).toEqual(['transmit']); // no second auth-success
    expect(peer.handle(s1[0]?.type === 'transmit' ? s1[0].packet : new Uint8Array(0), 3)).toEqual(
      [],
    );
    expect(peer.outcome).toBe('success');
    // A failed rechallenge (the peer's secret changed).
    secret = 'changed';
    const c2 = auth.rechallenge(4);
    const r2 = peer.handle(c2[0]?.type === 'transmit' ? c2[0].packet : new Uint8Array(0), 5);
    const v2 = auth.handle(r2[0]?.type === 'transmit' ? r2[0].packet : new Uint8Array(0), 6);
    const f2 = auth.resolveVerify(
      v2[0]?.type === 'verify' ? v2[0].token : -1,
      { secret: 'wonderland' },
      7,
    );
    expect(f2.map((o) => o.type)).toEqual(['transmit', 'auth-failure']);
    expect(auth.outcome).toBe('failure');
    expect(
      peer.handle(f2[0]?.type === 'transmit' ? f2[0].packet : new Uint8Array(0), 8),
    ).toMatchObject([{ type: 'auth-failure', code: 'PPP_AUTH_REJECTED' }]);
    // After a Failure the peer answers no more Challenges.
    expect(peer.handle(c2[0]?.type === 'transmit' ? c2[0].packet : new Uint8Array(0), 9)).toEqual(
      [],
    );
  });

  it('chooses the secret by the authenticator name', async () => {
    const seen: string[] = [];
    const link = new AuthLink(
      new ChapMd5Peer({
        name: 'alice',
        secret: (server) => {
          seen.push(server);
          return 'wonderland';
        },
        crypto,
      }),
      authenticator(),
      { host: secrets() },
    );
    link.start();
    await link.run();
    expect(seen).toEqual(['lns']);
    expect(link.events('peer').map((e) => e.type)).toEqual(['auth-success']);
  });

  it('ignores packets for the other role and stale Identifiers; counts malformed ones', () => {
    const auth = authenticator();
    const out = auth.start(0);
    const challenge = out[0]?.type === 'transmit' ? out[0].packet : new Uint8Array(0);
    const id = challenge[1] as number;
    expect(auth.handle(challenge, 1)).toEqual([]); // a Challenge is for a peer machine
    expect(auth.handle(encodeChapResult('success', id, new Uint8Array(0)), 1)).toEqual([]);
    const stale = encodeChapChallengeOrResponse('response', (id + 1) & 0xff, hex`00`, ascii('a'));
    expect(auth.handle(stale, 1)).toEqual([]);
    expect(auth.discarded).toBe(0);
    expect(auth.handle(hex`02 01 0005 00`, 1)).toEqual([]);
    expect(auth.handle(hex`08 01 0004`, 1)).toEqual([]);
    expect(auth.discarded).toBe(2);
    expect(auth.state).toBe('running');
  });

  it('accepts a host decision instead of a secret, and refuses malformed results', () => {
    const auth = authenticator();
    const c = auth.start(0)[0];
    const peer = new ChapMd5Peer({ name: 'bob', secret: 'x', crypto });
    peer.start(0);
    const r = peer.handle(c?.type === 'transmit' ? c.packet : new Uint8Array(0), 1)[0];
    const v = auth.handle(r?.type === 'transmit' ? r.packet : new Uint8Array(0), 2)[0];
    const token = v?.type === 'verify' ? v.token : -1;
    expect(() => auth.resolveVerify(token, {} as ChapMd5VerifyResult, 3)).toThrow(UsageError);
    expect(auth.resolveVerify(token, { ok: true, message: 'checked by RADIUS' }, 3)).toMatchObject([
      { type: 'transmit' },
      { type: 'auth-success', peerName: 'bob', message: 'checked by RADIUS' },
    ]);
  });

  it('checks its options', () => {
    expect(() => authenticator({ challengeLength: 0 })).toThrow(UsageError);
    expect(() => authenticator({ restartTimer: 0 })).toThrow(UsageError);
    expect(() => authenticator({ maxTransmissions: 0 })).toThrow(UsageError);
    expect(() => new ChapMd5Peer({ name: 'a', secret: 's', crypto, waitTimeout: -1 })).toThrow(
      UsageError,
    );
    expect(() => authenticator({ name: 'n'.repeat(256) })).toThrow(UsageError);
    expect(() => new ChapMd5Peer({ name: 'é'.repeat(128), secret: 's', crypto })).toThrow(
      UsageError,
    );
    const short = authenticator({ randomBytes: () => new Uint8Array(3) });
    expect(() => short.start(0)).toThrow(UsageError);
  });
});
