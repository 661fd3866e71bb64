/**
 * `l2tp-core/ppp`: a sans-I/O PPP engine for the calls L2TP carries. The frame and control packet
 * codec (RFC 1661 §5–§6, RFC 1662's FF 03), the RFC 1661 §4 option negotiation automaton as a
 * table, LCP (with keepalive and loopback detection), IPCP with RFC 1877's name servers, IPv6CP
 * (and the Router Advertisements of RFC 4861 that give a PPP peer a global IPv6 prefix),
 * a link that composes them with a pluggable authentication phase, the authentication protocols
 * (PAP, CHAP-MD5, MS-CHAPv2), and the shell that runs PPP on an L2TP call (PppSession) and an
 * LNS's PPP with an address pool and IP routing (PppServer). Re-exports only; the Node crypto
 * adapter is `nodePppAuthCrypto` in `l2tp-core/node`.
 *
 * @module l2tp-core/ppp
 */

// The generic row and table types of PPP_TRANSITIONS (src/fsm, shared with the L2TP machines).
export type { Transition, TransitionTable } from '../fsm/types.js';
// Both the link (any AuthPhase) and PppAuthPhase name an output 'AuthPhaseOutput': the link's,
// exported below, wins over the auth module's, whose narrower `notify` detail is PppAuthPhase's.
export * from './auth/index.js';
export type { AuthPhaseOutput as PppAuthPhaseOutput } from './auth/phase.js';
export {
  ACK,
  AUTOMATON_DEFAULTS,
  type AutomatonOptions,
  type AutomatonStats,
  type ExtraCodeEvent,
  nak,
  type OptionNegotiator,
  type OptionVerdict,
  PPP_FSM_ACTIONS,
  PPP_FSM_EVENTS,
  PPP_STATES,
  PPP_TRANSITIONS,
  PppAutomaton,
  type PppFsmAction,
  type PppFsmEvent,
  type PppState,
  type PppTransitionRow,
  pppTransition,
  REJECT,
  type ResolvedAutomatonOptions,
  resolveAutomatonOptions,
} from './automaton.js';
export {
  type ControlPacket,
  controlFrame,
  decodeControl,
  decodeFrame,
  decodeOptions,
  defaultFraming,
  encodeControl,
  encodeFrame,
  encodeOptions,
  frameHeaderLength,
  optionsLength,
  PppCode,
  type PppFrame,
  type PppFraming,
  type PppOption,
  PppProtocol,
  writeFrameHeader,
  writeOptions,
} from './frame.js';
export {
  createIpcp,
  formatIpv4,
  IpcpNegotiator,
  IpcpOption,
  type IpcpOptions,
  parseIpv4,
} from './ipcp.js';
export * from './ipv6-nd.js';
export { createIpv6cp, Ipv6cpNegotiator, Ipv6cpOption, type Ipv6cpOptions } from './ipv6cp.js';
export {
  authOption,
  DEFAULT_MRU,
  decodeAuthOption,
  LcpEngine,
  LcpNegotiator,
  LcpOption,
  type LcpOptions,
} from './lcp.js';
export {
  type AuthPhase,
  type AuthPhaseOutput,
  type AuthStart,
  PppLink,
  type PppLinkOptions,
} from './link.js';
export * from './server.js';
export * from './session.js';
export type {
  AuthProtocol,
  IpcpValues,
  Ipv6cpValues,
  LcpValues,
  PppEvent,
  PppOutput,
  PppPhase,
  PppProtocolName,
  PppReason,
  PppReasonBy,
  PppReasonCode,
  PppValues,
} from './types.js';
