/**
 * MS-CHAP-V2 (RFC 2759) routines against the worked example of RFC 2759 §9.2, every intermediate
 * value included, and the Response Value / Success / Failure formats of §4–§6.
 *
 * RFC 2759 is not among shared/rfc. The §9.2 values below were checked against three independent
 * quotations of that section (a C library's self-test, a Go test and the RFC's §8.7 listing as
 * reproduced in pppd's chap_ms.c for Magic1/Magic2); ntPasswordHash("clientPass") is also checked
 * against OpenSSL's legacy MD4 when the machine has one (see crypto.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { DecodeError, UsageError } from '../../../src/errors.js';
import { nodePppAuthCrypto as crypto } from '../../../src/node/ppp-crypto.js';
import {
  challengeHash,
  challengeResponse,
  decodeMsChapV2Response,
  desKeyFrom56,
  encodeMsChapV2Response,
  formatAuthenticatorResponse,
  formatMsChapV2Failure,
  formatMsChapV2Success,
  generateAuthenticatorResponse,
  generateNtResponse,
  hashNtPasswordHash,
  msChapV2UserName,
  ntPasswordHash,
  parseMsChapV2Failure,
  parseMsChapV2Success,
  utf16le,
} from '../../../src/ppp/auth/mschapv2.js';
import { hex } from '../../helpers/hex.js';

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

// RFC 2759 §9.2 "Hash Example".
const V = {
  userName: hex`55 73 65 72`, // "User"
  password: hex`63 00 6C 00 69 00 65 00 6E 00 74 00 50 00 61 00 73 00 73 00`, // "clientPass"
  authenticatorChallenge: hex`5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28`,
  peerChallenge: hex`21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E`,
  challenge: hex`D0 2E 43 86 BC E9 12 26`,
  passwordHash: hex`44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE`,
  ntResponse: hex`82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF`,
  passwordHashHash: hex`41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F`,
  authenticatorResponse: 'S=407A5589115FD0D6209F510FE9C04566932CDA56',
};

describe('RFC 2759 §9.2 hash example', () => {
  it('encodes the password as the 0-to-256-unicode-char Password', () => {
    expect(utf16le('clientPass')).toEqual(V.password);
    expect(ascii('User')).toEqual(V.userName);
  });

  it('NtPasswordHash (§8.3) gives the 16-octet PasswordHash', () => {
    expect(ntPasswordHash('clientPass', crypto)).toEqual(V.passwordHash);
  });

  it('HashNtPasswordHash (§8.4) gives the 16-octet PasswordHashHash', () => {
    expect(hashNtPasswordHash(V.passwordHash, crypto)).toEqual(V.passwordHashHash);
  });

  it('ChallengeHash (§8.2) gives the 8-octet Challenge', () => {
    expect(challengeHash(V.peerChallenge, V.authenticatorChallenge, V.userName, crypto)).toEqual(
      V.challenge,
    );
  });

  it('ChallengeResponse (§8.5) and GenerateNTResponse (§8.1) give the 24-octet NT-Response', () => {
    expect(challengeResponse(V.challenge, V.passwordHash, crypto)).toEqual(V.ntResponse);
    expect(
      generateNtResponse(
        V.authenticatorChallenge,
        V.peerChallenge,
        V.userName,
        V.passwordHash,
        crypto,
      ),
    ).toEqual(V.ntResponse);
  });

  it('GenerateAuthenticatorResponse (§8.7) gives the 42-octet AuthenticatorResponse', () => {
    const s = generateAuthenticatorResponse(
      V.passwordHash,
      V.ntResponse,
      V.peerChallenge,
      V.authenticatorChallenge,
      V.userName,
      crypto,
    );
    expect(formatAuthenticatorResponse(s)).toBe(V.authenticatorResponse);
  });

  it('the domain does not enter the hash (§4, §8.2)', () => {
    const withDomain = ascii('BIGCO\\User');
    expect(msChapV2UserName(withDomain)).toEqual(V.userName);
    expect(msChapV2UserName(V.userName)).toEqual(V.userName);
    expect(msChapV2UserName(ascii('A\\B\\User'))).toEqual(V.userName);
  });
});

describe('DES key from 56 bits (RFC 2433 §A MakeKey)', () => {
  it('spreads 7 octets over the high 7 bits of 8', () => {
    expect(desKeyFrom56(hex`ff ff ff ff ff ff ff`)).toEqual(hex`fe fe fe fe fe fe fe fe`);
    expect(desKeyFrom56(hex`00 00 00 00 00 00 00`)).toEqual(hex`00 00 00 00 00 00 00 00`);
    // 1 bit set at position k of the 56 lands on bit 7 - (k mod 7) of octet floor(k / 7).
    for (let k = 0; k < 56; k++) {
      const key = new Uint8Array(7);
      key[k >> 3] = 0x80 >> (k & 7);
      const want = new Uint8Array(8);
      want[Math.floor(k / 7)] = 0x80 >> (k % 7);
      expect(desKeyFrom56(key), `bit ${k}`).toEqual(want);
    }
  });

  it('refuses other lengths', () => {
    expect(() => desKeyFrom56(new Uint8Array(8))).toThrow(UsageError);
  });
});

describe('Response Value (§4)', () => {
  it('round-trips with reserved zeros and Flags 0', () => {
    const value = encodeMsChapV2Response({
      peerChallenge: V.peerChallenge,
      ntResponse: V.ntResponse,
    });
    expect(value.length).toBe(49);
    expect(value.subarray(16, 24)).toEqual(new Uint8Array(8));
    expect(value[48]).toBe(0);
    const back = decodeMsChapV2Response(value);
    expect(back.peerChallenge).toEqual(V.peerChallenge);
    expect(back.ntResponse).toEqual(V.ntResponse);
    expect(back.flags).toBe(0);
  });

  it('refuses a Value-Size other than 49 with DecodeError', () => {
    for (const n of [0, 16, 48, 50]) {
      expect(() => decodeMsChapV2Response(new Uint8Array(n))).toThrow(DecodeError);
    }
  });
});

describe('Success and Failure messages (§5, §6)', () => {
  it('formats and reads "S=<auth_string> M=<message>"', () => {
    const msg = formatMsChapV2Success(V.authenticatorResponse, 'Welcome');
    expect(Buffer.from(msg).toString('latin1')).toBe(`${V.authenticatorResponse} M=Welcome`);
    const back = parseMsChapV2Success(msg);
    expect(back.message).toBe('Welcome');
    expect(formatAuthenticatorResponse(back.authenticatorResponse as Uint8Array)).toBe(
      V.authenticatorResponse,
    );
  });

  it('uppercases the hex digits it sends, reads either case, and a bare S=', () => {
    const lower = V.authenticatorResponse.toLowerCase().replace('s=', 'S=');
    expect(Buffer.from(formatMsChapV2Success(lower, '')).toString('latin1')).toBe(
      `${V.authenticatorResponse} M=`,
    );
    const bare = parseMsChapV2Success(ascii(lower));
    expect(bare.message).toBe('');
    expect(bare.authenticatorResponse).toBeDefined();
  });

  it('reads a Success without S= as having no authenticator response', () => {
    expect(parseMsChapV2Success(ascii('M=hello'))).toEqual({ message: 'M=hello' });
    expect(parseMsChapV2Success(ascii('S=123'))).toEqual({ message: 'S=123' });
  });

  it('formats "E=691 R=0 C=… V=3 M=…" and reads it back', () => {
    const msg = formatMsChapV2Failure({
      challenge: V.authenticatorChallenge,
      message: 'bad password',
    });
    expect(Buffer.from(msg).toString('latin1')).toBe(
      'E=691 R=0 C=5B5D7C7D7B3F2F3E3C2C602132262628 V=3 M=bad password',
    );
    expect(parseMsChapV2Failure(msg)).toEqual({
      error: 691,
      retry: false,
      challenge: V.authenticatorChallenge,
      version: 3,
      message: 'bad password',
    });
  });

  it('reads partial and foreign Failure messages gracefully', () => {
    expect(parseMsChapV2Failure(ascii('E=649 R=1'))).toEqual({
      error: 649,
      retry: true,
      message: '',
    });
    expect(parseMsChapV2Failure(ascii('go away'))).toEqual({ message: 'go away' });
    expect(parseMsChapV2Failure(ascii('E=x R=7 C=zz M=a M=b'))).toEqual({ message: 'a M=b' });
    expect(parseMsChapV2Failure(new Uint8Array(0))).toEqual({ message: '' });
  });
});
