/**
 * l2tp-core: the L2TPv2 (RFC 2661) and L2TPv3 (RFC 3931) protocol engine, sans-I/O.
 *
 * The package's main entry; it re-exports and holds no logic. Nothing reachable from here imports
 * a `node:` module (test/package checks it). Subpaths: `l2tp-core/node` (the Node adapters: UDP and
 * IP transports, clock, timers, random bytes, node:crypto), `l2tp-core/testing` (virtual clock and
 * network simulator) and `l2tp-core/arbitraries` (fast-check arbitraries for fuzzing hosts).
 * @packageDocumentation
 */

export * from './avp/auth.js';
export * from './avp/describe.js';
export * from './avp/hidden.js';
export * from './avp/messages.js';
export * from './avp/raw.js';
export * from './avp/registry.js';
export * from './avp/values.js';
export * from './codec/classify.js';
export * from './codec/control.js';
export * from './codec/describe.js';
export * from './codec/header.js';
export * from './config.js';
export * from './constants.js';
export type * from './crypto.js';
export * from './debug.js';
export * from './endpoint.js';
export type { TransmitOutput } from './engine/index.js';
export * from './engine/index.js';
export * from './errors.js';
// The state names (docs/states.md has the full tables).
export { SESSION_STATES } from './fsm/session.js';
export { TUNNEL_STATES } from './fsm/tunnel.js';
export * from './keepalive.js';
export type {
  IncomingSessionInfo,
  ResolvedTunnelEngineOptions,
  SessionOptions,
  SessionVerdict,
  ToleranceOptions,
  TunnelEngineOptions,
} from './options.js';
export {
  DEFAULTS as TUNNEL_ENGINE_DEFAULTS,
  resolveOptions as resolveTunnelEngineOptions,
  resolveSessionOptions,
  sessionSublayer,
  sublayersOf,
} from './options.js';
export * from './pw/index.js';
export * from './seq/data.js';
// Both the reliable channel and the engine name an output 'TransmitOutput'.
export type { TransmitOutput as ChannelTransmitOutput } from './seq/reliable.js';
export * from './seq/reliable.js';
export * from './seq/reorder.js';
export * from './seq/serial.js';
export * from './static.js';
export type * from './transport.js';
export * from './tunnel.js';
