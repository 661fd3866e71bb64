/**
 * PPP authentication protocols, sans-I/O: PAP (RFC 1334 §2), CHAP with MD5 (RFC 1994) and
 * MS-CHAP-V2 (RFC 2759), each side a machine of its own (see types.ts for the contract).
 * Re-exports only. The Node adapter is src/node/ppp-crypto.ts (in `l2tp-core/node`), so that
 * nothing reached from here imports a `node:` module.
 */

export {
  type ChapAnswer,
  ChapAuthenticatorBase,
  type ChapAuthenticatorOptions,
  ChapCode,
  type ChapDecision,
  ChapMd5Authenticator,
  type ChapMd5AuthenticatorOptions,
  ChapMd5Peer,
  type ChapMd5PeerOptions,
  type ChapPacket,
  ChapPeerBase,
  type ChapPeerOptions,
  type ChapPendingResponse,
  type ChapSuccessCheck,
  chapMd5Response,
  decodeChap,
  encodeChapChallengeOrResponse,
  encodeChapResult,
  MAX_NAME_OCTETS,
} from './chap.js';
export {
  type LegacyPrimitives,
  legacyCrypto,
  type PppAuthCrypto,
  pppAuthCrypto,
} from './crypto.js';
export {
  DEFAULT_MAX_TRANSMISSIONS,
  DEFAULT_RESTART_TIMER,
  DEFAULT_WAIT_TIMEOUT,
  MAX_MESSAGE_OCTETS,
  type RetransmitOptions,
  type WaitOptions,
} from './machine.js';
export {
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
  MSCHAPV2_CHALLENGE_LENGTH,
  MSCHAPV2_ERROR_AUTHENTICATION_FAILURE,
  MSCHAPV2_NT_RESPONSE_LENGTH,
  MSCHAPV2_RESPONSE_LENGTH,
  MsChapV2Authenticator,
  type MsChapV2AuthenticatorOptions,
  type MsChapV2Failure,
  type MsChapV2FailureFields,
  MsChapV2Peer,
  type MsChapV2PeerOptions,
  type MsChapV2Response,
  type MsChapV2Success,
  msChapV2UserName,
  ntPasswordHash,
  parseMsChapV2Failure,
  parseMsChapV2Success,
  upperHex,
  utf16le,
} from './mschapv2.js';
export { AUTH_HEADER_LENGTH, type AuthPacketFrame, decodeAuthFrame } from './packet.js';
export {
  decodePap,
  encodePapReply,
  encodePapRequest,
  PapAuthenticator,
  type PapAuthenticatorOptions,
  PapCode,
  type PapPacket,
  PapPeer,
  type PapPeerOptions,
} from './pap.js';
export {
  type AnyVerifyResult,
  type Authenticator,
  type AuthPhaseOutput,
  type AuthPhaseStart,
  PppAuthPhase,
  type PppAuthPhaseOptions,
} from './phase.js';
export * from './types.js';
