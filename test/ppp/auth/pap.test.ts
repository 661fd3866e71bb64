/**
 * PAP (RFC 1334 §2): the codec against hand-written bytes, and PapPeer against PapAuthenticator
 * on a virtual clock with an async host: success, refusal, retransmission with a new Identifier,
 * lost Acks answered from the recorded decision, and give-ups.
 */
import { describe, expect, it } from 'vitest';
import { DecodeError, UsageError } from '../../../src/errors.js';
import {
  decodePap,
  encodePapReply,
  encodePapRequest,
  PapAuthenticator,
  PapCode,
  PapPeer,
} from '../../../src/ppp/auth/pap.js';
import {
  type PapVerifyRequest,
  type PapVerifyResult,
  PPP_PAP,
  type VerifyRequest,
} from '../../../src/ppp/auth/types.js';
import { hex } from '../../helpers/hex.js';
import { AuthLink } from './harness.js';

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

/** A host that knows one user; records every question. */
const host =
  (calls: PapVerifyRequest[] = []) =>
  async (r: VerifyRequest): Promise<PapVerifyResult> => {
    if (r.method !== 'pap') throw new Error(`a PAP host asked about ${r.method}`);
    calls.push(r);
    return r.peerName === 'alice' && r.password === 'wonderland'
      ? { ok: true, message: 'Welcome, alice' }
      : { ok: false, message: 'Bad user or password' };
  };

describe('PAP codec (RFC 1334 §2.2)', () => {
  it('encodes an Authenticate-Request', () => {
    expect(encodePapRequest(7, ascii('bob'), ascii('pw'))).toEqual(
      hex`01 07 000b  03 626f62  02 7077  // Code 1, Id 7, Length 11, Peer-ID "bob", Password "pw"`,
    );
  });

  it('encodes Ack and Nak with Msg-Length', () => {
    expect(encodePapReply('ack', 7, ascii('ok'))).toEqual(hex`02 07 0007 02 6f6b`);
    expect(encodePapReply('nak', 9, new Uint8Array(0))).toEqual(hex`03 09 0005 00`);
  });

  it('decodes, ignoring octets past Length (link padding)', () => {
    const p = decodePap(hex`01 07 000b 03 626f62 02 7077  ffff`);
    expect(p).toEqual({
      kind: 'request',
      identifier: 7,
      peerId: ascii('bob'),
      password: ascii('pw'),
    });
    expect(decodePap(hex`02 01 0007 02 6f6b 00`)).toEqual({
      kind: 'ack',
      identifier: 1,
      message: ascii('ok'),
    });
    expect(decodePap(hex`03 01 0004`)).toEqual({
      kind: 'nak',
      identifier: 1,
      message: new Uint8Array(0),
    });
    expect(decodePap(hex`09 01 0006 abcd`)).toEqual({
      kind: 'unknown',
      code: 9,
      identifier: 1,
      data: hex`abcd`,
    });
  });

  it('throws DecodeError with a code for short or inconsistent packets', () => {
    const cases: [Uint8Array, string][] = [
      [hex`01 07 00`, 'L2TP_ERR_TRUNCATED'],
      [hex`01 07 0003`, 'L2TP_ERR_BAD_LENGTH'],
      [hex`01 07 0010 03 626f62`, 'L2TP_ERR_TRUNCATED'],
      [hex`01 07 0004`, 'L2TP_ERR_TRUNCATED'], // no Peer-ID Length
      [hex`01 07 0008 05 626f62 00`, 'L2TP_ERR_TRUNCATED'], // Peer-ID runs past Length
      [hex`01 07 0008 03 626f62`, 'L2TP_ERR_TRUNCATED'], // no Passwd-Length
      [hex`02 07 0006 05 6f`, 'L2TP_ERR_TRUNCATED'], // Message runs past Length
    ];
    for (const [bytes, code] of cases) {
      expect(() => decodePap(bytes)).toThrow(DecodeError);
      try {
        decodePap(bytes);
      } catch (err) {
        expect((err as DecodeError).code).toBe(code);
      }
    }
  });

  it('refuses fields over 255 octets when encoding', () => {
    expect(() => encodePapRequest(1, new Uint8Array(256), new Uint8Array(0))).toThrow(UsageError);
    expect(() => new PapPeer({ peerId: 'x'.repeat(256), password: '' })).toThrow(UsageError);
  });
});

describe('PapPeer ↔ PapAuthenticator', () => {
  it('the right password: Ack, success on both sides with the peer name, one host call', async () => {
    const calls: PapVerifyRequest[] = [];
    const link = new AuthLink(
      new PapPeer({ peerId: 'alice', password: 'wonderland' }),
      new PapAuthenticator(),
      { host: host(calls) },
    );
    link.start();
    await link.run();
    expect(link.events('peer')).toEqual([
      {
        type: 'auth-success',
        method: 'pap',
        role: 'peer',
        peerName: 'alice',
        message: 'Welcome, alice',
      },
    ]);
    expect(link.events('authenticator')).toEqual([
      {
        type: 'auth-success',
        method: 'pap',
        role: 'authenticator',
        peerName: 'alice',
        message: 'Welcome, alice',
      },
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ method: 'pap', peerName: 'alice', password: 'wonderland' });
    expect(link.sent.map((s) => s.packet[0])).toEqual([
      PapCode.AuthenticateRequest,
      PapCode.AuthenticateAck,
    ]);
    expect(
      link.outputs.peer
        .filter((o) => o.type === 'transmit')
        .every((o) => o.type === 'transmit' && o.protocol === PPP_PAP),
    ).toBe(true);
  });

  it('a wrong password: Nak with the host message, failure at once, no retry', async () => {
    const link = new AuthLink(
      new PapPeer({ peerId: 'alice', password: 'guess' }),
      new PapAuthenticator(),
      { host: host() },
    );
    link.start();
    await link.run();
    const fail = {
      type: 'auth-failure',
      method: 'pap',
      code: 'PPP_AUTH_REJECTED',
      message: 'Bad user or password',
      peerName: 'alice',
    };
    expect(link.events('peer')).toEqual([{ ...fail, role: 'peer' }]);
    expect(link.events('authenticator')).toEqual([{ ...fail, role: 'authenticator' }]);
    // One request, one Nak, at t = 0 and t = 10: nothing after.
    expect(link.sent.map((s) => [s.at, s.packet[0]])).toEqual([
      [0, PapCode.AuthenticateRequest],
      [10, PapCode.AuthenticateNak],
    ]);
  });

  it('uses the configured messages when the host gives none', async () => {
    const link = new AuthLink(
      new PapPeer({ peerId: 'u', password: 'p' }),
      new PapAuthenticator({ failureMessage: 'No.' }),
      { host: async () => ({ ok: false }) },
    );
    link.start();
    await link.run();
    expect(link.events('peer')[0]?.message).toBe('No.');
  });

  it('retransmits on the Restart timer with a new Identifier while the request is lost', async () => {
    const link = new AuthLink(
      new PapPeer({
        peerId: 'alice',
        password: 'wonderland',
        restartTimer: 1000,
        firstIdentifier: 255,
      }),
      new PapAuthenticator(),
      { host: host(), drop: (from, _p, n) => from === 'peer' && n < 2 },
    );
    link.start();
    await link.run();
    const requests = link.sentWithCode('peer', PapCode.AuthenticateRequest);
    expect(requests.map((s) => [s.at, s.packet[1], s.dropped])).toEqual([
      [0, 255, true],
      [1000, 0, true],
      [2000, 1, false],
    ]);
    expect(
      link.sentWithCode('authenticator', PapCode.AuthenticateAck).map((s) => s.packet[1]),
    ).toEqual([1]);
    expect(link.events('peer').map((e) => e.type)).toEqual(['auth-success']);
  });

  it('a lost Ack: the next request is answered from the decision, not by the host again', async () => {
    const calls: PapVerifyRequest[] = [];
    const link = new AuthLink(
      new PapPeer({ peerId: 'alice', password: 'wonderland', restartTimer: 1000 }),
      new PapAuthenticator(),
      { host: host(calls), drop: (from, _p, n) => from === 'authenticator' && n === 0 },
    );
    link.start();
    await link.run();
    expect(calls).toHaveLength(1);
    const acks = link.sentWithCode('authenticator', PapCode.AuthenticateAck);
    expect(acks.map((s) => [s.packet[1], s.dropped])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(Buffer.from(acks[1]?.packet.subarray(5) ?? []).toString()).toBe('Welcome, alice');
    expect(link.events('peer').map((e) => e.type)).toEqual(['auth-success']);
    expect(link.events('authenticator')).toHaveLength(1);
  });

  it('requests repeated while the host thinks: one host call, the reply to the latest Identifier', async () => {
    const calls: PapVerifyRequest[] = [];
    const link = new AuthLink(
      new PapPeer({ peerId: 'alice', password: 'wonderland', restartTimer: 1000 }),
      new PapAuthenticator(),
      { host: host(calls), verifyDelay: 2500 },
    );
    link.start();
    await link.run();
    expect(calls).toHaveLength(1);
    expect(link.sentWithCode('peer', PapCode.AuthenticateRequest).map((s) => s.at)).toEqual([
      0, 1000, 2000,
    ]);
    // Host answers at 10 + 2500; the latest request then was Identifier 3 (sent at 2000).
    expect(
      link.sentWithCode('authenticator', PapCode.AuthenticateAck).map((s) => [s.at, s.packet[1]]),
    ).toEqual([[2510, 3]]);
    expect(link.events('peer').map((e) => e.type)).toEqual(['auth-success']);
  });

  it('gives up after maxTransmissions unanswered requests', async () => {
    const peer = new PapPeer({
      peerId: 'a',
      password: 'b',
      restartTimer: 500,
      maxTransmissions: 3,
    });
    const out = peer.start(0);
    expect(out).toHaveLength(1);
    expect(peer.nextDeadline()).toBe(500);
    expect(peer.handleTimeout(499)).toEqual([]); // early: nothing
    expect(peer.handleTimeout(500)).toHaveLength(1);
    expect(peer.handleTimeout(500)).toEqual([]); // repeated: nothing
    expect(peer.handleTimeout(1000)).toHaveLength(1);
    expect(peer.handleTimeout(1500)).toEqual([
      {
        type: 'auth-failure',
        method: 'pap',
        role: 'peer',
        code: 'PPP_AUTH_TIMEOUT',
        message: 'no reply to 3 Authenticate-Requests',
        peerName: 'a',
      },
    ]);
    expect(peer.nextDeadline()).toBeUndefined();
    expect(peer.state).toBe('done');
    expect(peer.outcome).toBe('failure');
  });

  it('the authenticator gives up when no request comes within waitTimeout', () => {
    const auth = new PapAuthenticator({ waitTimeout: 5000 });
    expect(auth.start(100)).toEqual([]);
    expect(auth.nextDeadline()).toBe(5100);
    expect(auth.handleTimeout(5100)).toMatchObject([
      { type: 'auth-failure', code: 'PPP_AUTH_TIMEOUT', role: 'authenticator' },
    ]);
    const patient = new PapAuthenticator({ waitTimeout: Number.POSITIVE_INFINITY });
    patient.start(0);
    expect(patient.nextDeadline()).toBeUndefined();
  });

  it('ignores replies to Identifiers it never sent, and packets before start or after stop', () => {
    const peer = new PapPeer({ peerId: 'a', password: 'b' });
    expect(peer.handle(encodePapReply('ack', 1, new Uint8Array(0)), 0)).toEqual([]);
    peer.start(0);
    expect(() => peer.start(0)).toThrow(UsageError);
    expect(peer.handle(encodePapReply('ack', 2, new Uint8Array(0)), 1)).toEqual([]);
    expect(peer.handle(encodePapRequest(1, ascii('x'), ascii('y')), 1)).toEqual([]);
    expect(peer.state).toBe('running');
    peer.stop();
    expect(peer.handle(encodePapReply('ack', 1, new Uint8Array(0)), 2)).toEqual([]);
    expect(peer.nextDeadline()).toBeUndefined();
    expect(peer.state).toBe('stopped');
  });

  it('counts malformed packets as discarded and keeps going', () => {
    const auth = new PapAuthenticator();
    auth.start(0);
    expect(auth.handle(hex`01 01 0005 09`, 1)).toEqual([]);
    expect(auth.handle(hex`07 01 0004`, 1)).toEqual([]);
    expect(auth.discarded).toBe(2);
    const out = auth.handle(encodePapRequest(1, ascii('x'), ascii('y')), 2);
    expect(out).toMatchObject([{ type: 'verify', token: 1, peerName: 'x', password: 'y' }]);
    expect(auth.state).toBe('verifying');
    // A stale token is ignored; a bad result is the host's mistake.
    expect(auth.resolveVerify(99, { ok: true }, 3)).toEqual([]);
    expect(() => auth.resolveVerify(1, {} as PapVerifyResult, 3)).toThrow(UsageError);
  });

  it('cuts a long host message to 255 octets on a character boundary', () => {
    const auth = new PapAuthenticator();
    auth.start(0);
    auth.handle(encodePapRequest(4, ascii('x'), ascii('y')), 1);
    const out = auth.resolveVerify(1, { ok: false, message: 'é'.repeat(200) }, 2);
    const reply = out[0]?.type === 'transmit' ? out[0].packet : new Uint8Array(0);
    expect(reply[4]).toBe(254); // 127 two-octet characters
    expect(Buffer.from(reply.subarray(5)).toString()).toBe('é'.repeat(127));
  });
});
