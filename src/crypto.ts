/**
 * The injectable hash interface used by AVP hiding, tunnel authentication and the L2TPv3
 * Message Digest (RFC 2661 §4.3, §5.1.1; RFC 3931 §4.3, §5.3, §5.4.1).
 *
 * Only the interface lives here, so the protocol modules stay pure and run anywhere.
 * The Node implementation is in src/node/crypto.ts; a host on another runtime supplies its own.
 */

/** HMAC hash functions L2TP needs: HMAC-MD5 (Digest Type 0) and HMAC-SHA-1 (Digest Type 1). */
export type HmacAlgorithm = 'md5' | 'sha1';

/**
 * The two hash primitives l2tp-core uses. Implementations must be synchronous and must not
 * retain or mutate the input arrays.
 */
export interface L2tpCrypto {
  /** MD5 (RFC 1321) over the concatenation of `parts`; returns a fresh 16-byte array. */
  md5(...parts: readonly Uint8Array[]): Uint8Array;
  /**
   * HMAC (RFC 2104) with `key` over the concatenation of `parts`; returns a fresh array of
   * 16 bytes (md5) or 20 bytes (sha1).
   */
  hmac(alg: HmacAlgorithm, key: Uint8Array, ...parts: readonly Uint8Array[]): Uint8Array;
}
