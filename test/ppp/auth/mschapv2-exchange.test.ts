/**
 * MsChapV2Peer against MsChapV2Authenticator on a virtual clock with an async host: the RFC 2759
 * §9.2 example carried through both machines, success and refusal, the peer's check of the
 * authenticator response (§5), domain names, lost packets, and malformed values.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { nodePppAuthCrypto as crypto } from '../../../src/node/ppp-crypto.js';
import {
  ChapCode,
  encodeChapChallengeOrResponse,
  encodeChapResult,
} from '../../../src/ppp/auth/chap.js';
import {
  decodeMsChapV2Response,
  MsChapV2Authenticator,
  MsChapV2Peer,
  ntPasswordHash,
} from '../../../src/ppp/auth/mschapv2.js';
import type {
  MsChapV2VerifyRequest,
  MsChapV2VerifyResult,
  VerifyRequest,
} from '../../../src/ppp/auth/types.js';
import { hex } from '../../helpers/hex.js';
import { AuthLink, counterBytes } from './harness.js';

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const text = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('latin1');

/** A host with one user, answering with the password (or the NT hash); records questions. */
const users =
  (calls: MsChapV2VerifyRequest[] = [], answer: 'password' | 'ntHash' = 'password') =>
  async (r: VerifyRequest): Promise<MsChapV2VerifyResult> => {
    if (r.method !== 'mschapv2') throw new Error(`an MS-CHAP-V2 host asked about ${r.method}`);
    calls.push(r);
    if (r.userName !== 'User') return { ok: false, message: 'unknown user', error: 691 };
    return answer === 'password'
      ? { password: 'clientPass' }
      : { ntHash: ntPasswordHash('clientPass', crypto) };
  };

/** randomBytes that hands out the given arrays in turn. */
const scripted = (...chunks: Uint8Array[]) => {
  let i = 0;
  return (n: number): Uint8Array => {
    const c = chunks[i++];
    if (c === undefined || c.length !== n) throw new Error(`unscripted randomBytes(${n})`);
    return c;
  };
};

// RFC 2759 §9.2.
const AUTH_CHALLENGE = hex`5B5D7C7D7B3F2F3E3C2C602132262628`;
const PEER_CHALLENGE = hex`21402324255E262A28295F2B3A337C7E`;
const NT_RESPONSE = hex`82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF`;
const S = 'S=407A5589115FD0D6209F510FE9C04566932CDA56';

const authenticator = (random = counterBytes(3)) =>
  new MsChapV2Authenticator({
    name: 'lns',
    randomBytes: random,
    crypto,
    restartTimer: 1000,
    successMessage: 'Welcome',
    failureMessage: 'Access denied',
  });

describe('MsChapV2Peer ↔ MsChapV2Authenticator', () => {
  it('carries the RFC 2759 §9.2 example through both machines', async () => {
    const calls: MsChapV2VerifyRequest[] = [];
    const link = new AuthLink(
      new MsChapV2Peer({
        name: 'User',
        password: 'clientPass',
        randomBytes: scripted(PEER_CHALLENGE),
        crypto,
      }),
      authenticator(scripted(AUTH_CHALLENGE, Uint8Array.of(0x42))),
      { host: users(calls) },
    );
    link.start();
    await link.run();
    const [challenge, response, success] = link.sent.map((s) => s.packet);
    expect(challenge).toEqual(hex`01 42 0018 10 ${'5B5D7C7D7B3F2F3E3C2C602132262628'} 6c6e73`);
    expect(response?.subarray(0, 5)).toEqual(hex`02 42 003a 31`); // Length 58, Value-Size 49
    const value = decodeMsChapV2Response(response?.subarray(5, 54) ?? new Uint8Array(0));
    expect(value.peerChallenge).toEqual(PEER_CHALLENGE);
    expect(value.ntResponse).toEqual(NT_RESPONSE);
    expect(text(response?.subarray(54))).toBe('User');
    expect(success?.subarray(0, 2)).toEqual(hex`03 42`);
    expect(text(success?.subarray(4))).toBe(`${S} M=Welcome`);
    expect(calls).toMatchObject([
      {
        method: 'mschapv2',
        peerName: 'User',
        userName: 'User',
        authenticatorChallenge: AUTH_CHALLENGE,
        peerChallenge: PEER_CHALLENGE,
        ntResponse: NT_RESPONSE,
      },
    ]);
    const ok = { type: 'auth-success', method: 'mschapv2', peerName: 'User', message: 'Welcome' };
    expect(link.events('peer')).toEqual([{ ...ok, role: 'peer' }]);
    expect(link.events('authenticator')).toEqual([{ ...ok, role: 'authenticator' }]);
  });

  it('succeeds with the NT hash on either side instead of the password', async () => {
    const link = new AuthLink(
      new MsChapV2Peer({
        name: 'User',
        ntHash: ntPasswordHash('clientPass', crypto),
        randomBytes: counterBytes(9),
        crypto,
      }),
      authenticator(),
      { host: users([], 'ntHash') },
    );
    link.start();
    await link.run();
    expect(link.events('peer').map((e) => e.type)).toEqual(['auth-success']);
    expect(link.events('authenticator').map((e) => e.type)).toEqual(['auth-success']);
  });

  it('a wrong password: E=691 R=0 C=… V=3 M=…, failure at once on both sides', async () => {
    const link = new AuthLink(
      new MsChapV2Peer({ name: 'User', password: 'guess', randomBytes: counterBytes(9), crypto }),
      authenticator(scripted(AUTH_CHALLENGE, Uint8Array.of(7))),
      { host: users() },
    );
    link.start();
    await link.run();
    const failure = link.sentWithCode('authenticator', ChapCode.Failure);
    expect(failure.map((s) => s.at)).toEqual([20]);
    expect(text(failure[0]?.packet.subarray(4))).toBe(
      'E=691 R=0 C=5B5D7C7D7B3F2F3E3C2C602132262628 V=3 M=Access denied',
    );
    expect(link.events('peer')).toEqual([
      {
        type: 'auth-failure',
        method: 'mschapv2',
        role: 'peer',
        code: 'PPP_AUTH_REJECTED',
        message: 'Access denied',
        peerName: 'User',
        msChapV2: { error: 691, retry: false, challenge: AUTH_CHALLENGE, version: 3 },
      },
    ]);
    expect(link.events('authenticator')).toEqual([
      {
        type: 'auth-failure',
        method: 'mschapv2',
        role: 'authenticator',
        code: 'PPP_AUTH_REJECTED',
        message: 'Access denied',
        peerName: 'User',
      },
    ]);
    expect(link.sent).toHaveLength(3);
  });

  it('a host refusal carries its error code and message', async () => {
    const link = new AuthLink(
      new MsChapV2Peer({ name: 'User', password: 'x', randomBytes: counterBytes(9), crypto }),
      authenticator(),
      {
        host: async (): Promise<MsChapV2VerifyResult> => ({
          ok: false,
          message: 'account disabled',
          error: 647,
        }),
      },
    );
    link.start();
    await link.run();
    expect(link.events('peer')).toMatchObject([
      { code: 'PPP_AUTH_REJECTED', message: 'account disabled', msChapV2: { error: 647 } },
    ]);
  });

  it('strips the domain for the hash and gives the host both names', async () => {
    const calls: MsChapV2VerifyRequest[] = [];
    const link = new AuthLink(
      new MsChapV2Peer({
        name: 'BIGCO\\User',
        password: 'clientPass',
        randomBytes: counterBytes(9),
        crypto,
      }),
      authenticator(),
      { host: users(calls) },
    );
    link.start();
    await link.run();
    expect(calls[0]).toMatchObject({ peerName: 'BIGCO\\User', userName: 'User' });
    expect(link.events('peer')).toMatchObject([{ type: 'auth-success', peerName: 'BIGCO\\User' }]);
  });

  it('the peer refuses a Success whose S= value is wrong or missing (§5)', async () => {
    for (const verdict of [
      // A host that says yes without knowing the password: its S= cannot be right.
      { ok: true, authenticatorResponse: `S=${'0'.repeat(40)}` } as const,
    ]) {
      const link = new AuthLink(
        new MsChapV2Peer({
          name: 'User',
          password: 'clientPass',
          randomBytes: counterBytes(9),
          crypto,
        }),
        authenticator(),
        { host: async () => verdict },
      );
      link.start();
      await link.run();
      expect(link.events('authenticator').map((e) => e.type)).toEqual(['auth-success']);
      expect(link.events('peer')).toEqual([
        {
          type: 'auth-failure',
          method: 'mschapv2',
          role: 'peer',
          code: 'PPP_AUTH_BAD_AUTHENTICATOR',
          message: 'wrong authenticator response: the authenticator does not know the password',
          peerName: 'User',
        },
      ]);
    }
    // A plain CHAP Success with no S= at all.
    const peer = new MsChapV2Peer({
      name: 'User',
      password: 'p',
      randomBytes: counterBytes(9),
      crypto,
    });
    peer.start(0);
    const r = peer.handle(
      encodeChapChallengeOrResponse('challenge', 5, AUTH_CHALLENGE, ascii('lns')),
      1,
    );
    expect(r).toHaveLength(1);
    expect(peer.handle(encodeChapResult('success', 5, ascii('Welcome')), 2)).toMatchObject([
      { type: 'auth-failure', code: 'PPP_AUTH_BAD_AUTHENTICATOR' },
    ]);
  });

  it('a lost Success: the same Response again, the same Success again, and it verifies', async () => {
    const calls: MsChapV2VerifyRequest[] = [];
    const link = new AuthLink(
      new MsChapV2Peer({
        name: 'User',
        password: 'clientPass',
        randomBytes: counterBytes(9),
        crypto,
        restartTimer: 1000,
      }),
      authenticator(),
      { host: users(calls), drop: (from, _p, n) => from === 'authenticator' && n === 1 },
    );
    link.start();
    await link.run();
    expect(calls).toHaveLength(1);
    const responses = link.sentWithCode('peer', ChapCode.Response);
    expect(responses).toHaveLength(2);
    expect(responses[1]?.packet).toEqual(responses[0]?.packet);
    const successes = link.sentWithCode('authenticator', ChapCode.Success);
    expect(successes.map((s) => s.dropped)).toEqual([true, false]);
    expect(successes[1]?.packet).toEqual(successes[0]?.packet);
    expect(link.events('peer').map((e) => e.type)).toEqual(['auth-success']);
  });

  it('discards a Challenge or Response of the wrong size', () => {
    const peer = new MsChapV2Peer({
      name: 'User',
      password: 'p',
      randomBytes: counterBytes(9),
      crypto,
    });
    peer.start(0);
    expect(
      peer.handle(encodeChapChallengeOrResponse('challenge', 1, hex`00`, ascii('x')), 1),
    ).toEqual([]);
    expect(peer.discarded).toBe(1);
    const auth = authenticator();
    const c = auth.start(0)[0];
    const id = c?.type === 'transmit' ? (c.packet[1] as number) : -1;
    expect(
      auth.handle(
        encodeChapChallengeOrResponse('response', id, new Uint8Array(48), ascii('User')),
        1,
      ),
    ).toEqual([]);
    expect(auth.discarded).toBe(1);
    expect(auth.state).toBe('running');
  });

  it('checks its options and the host answers', () => {
    expect(
      () =>
        new MsChapV2Peer({
          name: 'u',
          ntHash: new Uint8Array(15),
          randomBytes: counterBytes(1),
          crypto,
        }),
    ).toThrow(UsageError);
    const auth = authenticator();
    const c = auth.start(0)[0];
    const peer = new MsChapV2Peer({
      name: 'User',
      password: 'p',
      randomBytes: counterBytes(9),
      crypto,
    });
    peer.start(0);
    const r = peer.handle(c?.type === 'transmit' ? c.packet : new Uint8Array(0), 1)[0];
    const v = auth.handle(r?.type === 'transmit' ? r.packet : new Uint8Array(0), 2)[0];
    const token = v?.type === 'verify' ? v.token : -1;
    expect(() => auth.resolveVerify(token, { ntHash: new Uint8Array(3) }, 3)).toThrow(UsageError);
    expect(() =>
      auth.resolveVerify(token, { ok: true, authenticatorResponse: 'S=bad' }, 3),
    ).toThrow(UsageError);
  });
});
