/**
 * Challenge Response (RFC 2661 §4.4.3, §5.1.1) and the L2TPv3 Message Digest (RFC 3931 §4.3,
 * §5.4.1), against values computed with Python hashlib/hmac and checked by tshark, and against
 * node:crypto computed directly in the tests.
 */
import { createHash, createHmac } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  challengeResponse,
  computeMessageDigest,
  constantTimeEqual,
  type DigestNonces,
  deriveV3DigestKey,
  verifyChallengeResponse,
  verifyMessageDigest,
  writeMessageDigest,
} from '../../src/avp/auth.js';
import { DigestType } from '../../src/constants.js';
import { UsageError } from '../../src/errors.js';
import { nodeCrypto } from '../../src/node/crypto.js';
import { hex } from '../helpers/hex.js';

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

const SECRET = ascii('tunnelsecret');

describe('Challenge Response (RFC 2661 §4.4.3, §5.1.1)', () => {
  const challenge = hex`00112233445566778899aabbccddeeff`;

  it('is MD5(message type octet + secret + challenge): golden values', () => {
    // Computed separately with Python hashlib: md5(bytes([t]) + b'tunnelsecret' + challenge).
    expect(challengeResponse(2, SECRET, challenge, nodeCrypto)).toEqual(
      hex`2e362a3f05e90b6fc1d246716588a87c`, // in an SCCRP
    );
    expect(challengeResponse(3, SECRET, challenge, nodeCrypto)).toEqual(
      hex`2861fac39d3cb59cce5727c77b8c3f7d`, // in an SCCCN
    );
    const direct = createHash('md5')
      .update(Uint8Array.of(3))
      .update(SECRET)
      .update(challenge)
      .digest();
    expect(challengeResponse(3, SECRET, challenge, nodeCrypto)).toEqual(Uint8Array.from(direct));
  });

  it('verifies in the type of the received message only', () => {
    const r = challengeResponse(2, SECRET, challenge, nodeCrypto);
    expect(verifyChallengeResponse(2, SECRET, challenge, r, nodeCrypto)).toBe(true);
    expect(verifyChallengeResponse(3, SECRET, challenge, r, nodeCrypto)).toBe(false);
    expect(verifyChallengeResponse(2, ascii('x'), challenge, r, nodeCrypto)).toBe(false);
    expect(verifyChallengeResponse(2, SECRET, challenge, r.subarray(1), nodeCrypto)).toBe(false);
    const flipped = r.slice();
    flipped[15] = (flipped[15] as number) ^ 0x80;
    expect(verifyChallengeResponse(2, SECRET, challenge, flipped, nodeCrypto)).toBe(false);
  });

  it('refuses other message types', () => {
    expect(() => challengeResponse(1 as 2, SECRET, challenge, nodeCrypto)).toThrow(UsageError);
  });
});

describe('constantTimeEqual', () => {
  it('compares contents and lengths', () => {
    expect(constantTimeEqual(hex`0102`, hex`0102`)).toBe(true);
    expect(constantTimeEqual(hex`0102`, hex`0103`)).toBe(false);
    expect(constantTimeEqual(hex`0102`, hex`010200`)).toBe(false);
    expect(constantTimeEqual(hex``, hex``)).toBe(true);
  });
});

// L2TPv3 control messages over UDP, built by hand from RFC 3931 §3.2.1 / §5.4.1, digests computed
// separately with Python hmac/hashlib. tshark 4.0.17 with `-o l2tp.shared_secret:tunnelsecret`
// accepts all three digests and flags "Incorrect Digest" once any byte is changed.
const NONCE_A = hex`101112131415161718191a1b1c1d1e1f`; // LCCE A (sends the SCCRQ)
const NONCE_B = hex`202122232425262728292a2b2c2d2e2f`; // LCCE B (sends the SCCRP)
const DIGEST_OFFSET = 20; // 12-byte header + 8-byte Message Type AVP

const SCCRQ_MD5 = hex`
  c803 004b 00000000 0000 0000        // T L S Ver=3, Length 75, CCID 0, Ns 0, Nr 0
  8008 0000 0000 0001                 // Message Type = 1 (SCCRQ)
  8017 0000 003b 00                   // Message Digest, Length 23, Digest Type 0 (HMAC-MD5)
     8ed22b1b78467e77e1b0ebcc2b706dc4 //   HMAC-MD5(key, message): no nonces for an SCCRQ
  8016 0000 0049 101112131415161718191a1b1c1d1e1f  // Control Message Authentication Nonce (A)
  800a 0000 003d 01020304             // Assigned Control Connection ID
`;
const SCCRP_SHA1 = hex`
  c803 004f 01020304 0000 0001        // Length 79, CCID 0x01020304, Ns 0, Nr 1
  8008 0000 0000 0002                 // Message Type = 2 (SCCRP)
  801b 0000 003b 01                   // Message Digest, Length 27, Digest Type 1 (HMAC-SHA-1)
     6cb3d2eb85b9d44da4e81393500579b9ff86077f  // HMAC-SHA1(key, nonce B + nonce A + message)
  8016 0000 0049 202122232425262728292a2b2c2d2e2f  // Nonce (B)
  800a 0000 003d 01020304
`;
const SCCRP_MD5 = hex`
  c803 004b 01020304 0000 0001
  8008 0000 0000 0002
  8017 0000 003b 00
     73038df2402fb447e4449165c5f45c7f // HMAC-MD5(key, nonce B + nonce A + message)
  8016 0000 0049 202122232425262728292a2b2c2d2e2f
  800a 0000 003d 01020304
`;
const B_VIEW: DigestNonces = { local: NONCE_B, remote: NONCE_A };
const A_VIEW: DigestNonces = { local: NONCE_A, remote: NONCE_B };

function digestField(msg: Uint8Array, size: number): Uint8Array {
  return msg.subarray(DIGEST_OFFSET + 7, DIGEST_OFFSET + 7 + size);
}

function zeroedCopy(msg: Uint8Array, size: number): Uint8Array {
  const z = msg.slice();
  z.fill(0, DIGEST_OFFSET + 7, DIGEST_OFFSET + 7 + size);
  return z;
}

describe('L2TPv3 Message Digest (RFC 3931 §4.3, §5.4.1)', () => {
  it('derives the key as HMAC_MD5(secret, 0x02)', () => {
    const key = deriveV3DigestKey(SECRET, nodeCrypto);
    expect(key).toEqual(hex`04a285e711e02527a002c5970a43aea5`);
    expect(key).toEqual(
      Uint8Array.from(createHmac('md5', SECRET).update(Uint8Array.of(2)).digest()),
    );
  });

  it('SCCRQ: HMAC-MD5 over the message alone, digest field zeroed', () => {
    expect(computeMessageDigest(SCCRQ_MD5, DIGEST_OFFSET, SECRET, undefined, nodeCrypto)).toEqual(
      digestField(SCCRQ_MD5, 16),
    );
    expect(verifyMessageDigest(SCCRQ_MD5, DIGEST_OFFSET, SECRET, undefined, nodeCrypto)).toBe(true);
    // Independent: node:crypto over a zeroed copy.
    const key = createHmac('md5', SECRET).update(Uint8Array.of(2)).digest();
    const direct = createHmac('md5', key).update(zeroedCopy(SCCRQ_MD5, 16)).digest();
    expect(digestField(SCCRQ_MD5, 16)).toEqual(Uint8Array.from(direct));
  });

  it('SCCRP: sender nonce first when sending, reversed when verifying', () => {
    for (const [msg, size] of [
      [SCCRP_SHA1, 20],
      [SCCRP_MD5, 16],
    ] as const) {
      expect(computeMessageDigest(msg, DIGEST_OFFSET, SECRET, B_VIEW, nodeCrypto)).toEqual(
        digestField(msg, size),
      );
      expect(verifyMessageDigest(msg, DIGEST_OFFSET, SECRET, A_VIEW, nodeCrypto)).toBe(true);
      // Same nonces without the reversal, no nonces, or another secret: rejected.
      expect(verifyMessageDigest(msg, DIGEST_OFFSET, SECRET, B_VIEW, nodeCrypto)).toBe(false);
      expect(verifyMessageDigest(msg, DIGEST_OFFSET, SECRET, undefined, nodeCrypto)).toBe(false);
      expect(verifyMessageDigest(msg, DIGEST_OFFSET, ascii('other'), A_VIEW, nodeCrypto)).toBe(
        false,
      );
    }
  });

  it('writeMessageDigest fills the field of a zeroed or stale message in place', () => {
    const msg = zeroedCopy(SCCRP_SHA1, 20);
    writeMessageDigest(msg, DIGEST_OFFSET, SECRET, B_VIEW, nodeCrypto);
    expect(msg).toEqual(SCCRP_SHA1);
    msg.fill(0x5a, DIGEST_OFFSET + 7, DIGEST_OFFSET + 27); // stale bytes are ignored
    writeMessageDigest(msg, DIGEST_OFFSET, SECRET, B_VIEW, nodeCrypto);
    expect(msg).toEqual(SCCRP_SHA1);
  });

  it('integrity-only mode: empty secret, no nonces (RFC 3931 §4.3)', () => {
    const msg = zeroedCopy(SCCRP_MD5, 16);
    const empty = new Uint8Array(0);
    writeMessageDigest(msg, DIGEST_OFFSET, empty, undefined, nodeCrypto);
    const key = createHmac('md5', empty).update(Uint8Array.of(2)).digest();
    const direct = createHmac('md5', key).update(zeroedCopy(SCCRP_MD5, 16)).digest();
    expect(digestField(msg, 16)).toEqual(Uint8Array.from(direct));
    expect(verifyMessageDigest(msg, DIGEST_OFFSET, empty, undefined, nodeCrypto)).toBe(true);
  });

  test.prop([fc.nat(), fc.integer({ min: 0, max: 7 })])(
    'changing any bit of the message is detected',
    (at, bit) => {
      const msg = SCCRP_SHA1.slice();
      const i = at % msg.length;
      msg[i] = (msg[i] as number) ^ (1 << bit);
      expect(verifyMessageDigest(msg, DIGEST_OFFSET, SECRET, A_VIEW, nodeCrypto)).toBe(false);
    },
  );

  it('not a well-formed Message Digest AVP: UsageError to compute, false to verify', () => {
    for (const offset of [0, 12, DIGEST_OFFSET + 1, SCCRQ_MD5.length - 3, -1, 1000]) {
      expect(() => computeMessageDigest(SCCRQ_MD5, offset, SECRET, undefined, nodeCrypto)).toThrow(
        UsageError,
      );
      expect(verifyMessageDigest(SCCRQ_MD5, offset, SECRET, undefined, nodeCrypto)).toBe(false);
    }
    const badType = SCCRQ_MD5.slice();
    badType[DIGEST_OFFSET + 6] = 1; // SHA-1 type in a 23-byte AVP
    expect(verifyMessageDigest(badType, DIGEST_OFFSET, SECRET, undefined, nodeCrypto)).toBe(false);
    badType[DIGEST_OFFSET + 6] = 2; // unknown Digest Type
    expect(verifyMessageDigest(badType, DIGEST_OFFSET, SECRET, undefined, nodeCrypto)).toBe(false);
    const hiddenBit = SCCRQ_MD5.slice();
    hiddenBit[DIGEST_OFFSET] = 0xc0;
    expect(verifyMessageDigest(hiddenBit, DIGEST_OFFSET, SECRET, undefined, nodeCrypto)).toBe(
      false,
    );
  });
});

describe('two Message Digest AVPs (RFC 3931 §5.4.1 switchover)', () => {
  // Message Type, then an HMAC-MD5 digest AVP and directly after it an HMAC-SHA-1 one.
  const TEMPLATE = hex`
    c803 0046 01020304 0003 0004        // Length 70, CCID, Ns 3, Nr 4
    8008 0000 0000 0006                 // Message Type = 6 (HELLO)
    8017 0000 003b 00 00000000000000000000000000000000           // digest 1 (MD5), offset 20
    801b 0000 003b 01 0000000000000000000000000000000000000000   // digest 2 (SHA-1), offset 43
  `;
  const NEW_SECRET = ascii('new secret');

  it('zeroes both digest fields and accepts the message if either matches', () => {
    expect(TEMPLATE.length).toBe(70);
    const msg = TEMPLATE.slice();
    writeMessageDigest(msg, DIGEST_OFFSET, SECRET, B_VIEW, nodeCrypto, 0);
    writeMessageDigest(msg, DIGEST_OFFSET, NEW_SECRET, B_VIEW, nodeCrypto, 1);
    // Independent computation over the all-zero template.
    const sign = (alg: 'md5' | 'sha1', secret: Uint8Array) => {
      const key = createHmac('md5', secret).update(Uint8Array.of(2)).digest();
      return Uint8Array.from(
        createHmac(alg, key).update(NONCE_B).update(NONCE_A).update(TEMPLATE).digest(),
      );
    };
    expect(msg.subarray(27, 43)).toEqual(sign('md5', SECRET));
    expect(msg.subarray(50, 70)).toEqual(sign('sha1', NEW_SECRET));
    expect(verifyMessageDigest(msg, DIGEST_OFFSET, SECRET, A_VIEW, nodeCrypto)).toBe(true);
    expect(verifyMessageDigest(msg, DIGEST_OFFSET, NEW_SECRET, A_VIEW, nodeCrypto)).toBe(true);
    expect(verifyMessageDigest(msg, DIGEST_OFFSET, ascii('third'), A_VIEW, nodeCrypto)).toBe(false);
    // Corrupting the first digest leaves the second valid, and vice versa.
    const c1 = msg.slice();
    c1[30] = (c1[30] as number) ^ 1;
    expect(verifyMessageDigest(c1, DIGEST_OFFSET, NEW_SECRET, A_VIEW, nodeCrypto)).toBe(true);
    expect(verifyMessageDigest(c1, DIGEST_OFFSET, SECRET, A_VIEW, nodeCrypto)).toBe(false);
    expect(computeMessageDigest(c1, DIGEST_OFFSET, SECRET, B_VIEW, nodeCrypto, 0)).toEqual(
      sign('md5', SECRET),
    );
  });

  it('with one AVP there is no second digest', () => {
    expect(() =>
      computeMessageDigest(SCCRQ_MD5, DIGEST_OFFSET, SECRET, undefined, nodeCrypto, 1),
    ).toThrow(UsageError);
    expect(DigestType.HmacSha1).toBe(1);
  });
});
