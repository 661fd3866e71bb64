/**
 * l2tp-core: the L2TPv2 (RFC 2661) and L2TPv3 (RFC 3931) protocol engine, sans-I/O.
 *
 * The package's main entry; it re-exports and holds no logic. Nothing reachable from here imports
 * a `node:` module (test/package checks it). Subpaths: `l2tp-core/node` (the Node adapters: UDP and
 * IP transports, clock, timers, random bytes, node:crypto), `l2tp-core/testing` (virtual clock and
 * network simulator) and `l2tp-core/arbitraries` (fast-check arbitraries for fuzzing hosts).
 *
 * The API reference sorts these exports into the layers below by the file that declares them
 * (tools/typedoc/plugins/layers.mjs); docs/overview.md draws the layers.
 *
 * @module l2tp-core
 * @categoryDescription codec
 * Headers of L2TPv2 and L2TPv3 (control and data; UDP and IP encapsulation), cookies, the
 * L2-Specific Sublayer, the classifier for demultiplexing, zero-copy data views, and the
 * protocol numbers (message types, AVP types, result codes). Source: src/codec, src/constants.ts.
 * @categoryDescription avp
 * AVPs: the lossless raw level, the catalogue of every IETF AVP, value codecs, hidden AVPs,
 * tunnel authentication and the L2TPv3 Message Digest, typed messages. Source: src/avp.
 * @categoryDescription seq
 * The reliable control channel (Ns/Nr, windows, retransmission, ZLB), serial arithmetic, data
 * sequencing and the reorder buffer. Source: src/seq.
 * @categoryDescription fsm
 * The control-connection and call state machines: their state names (docs/states.md has the
 * tables). Source: src/fsm.
 * @categoryDescription engine
 * `TunnelEngine`, the sans-I/O core of one control connection and its sessions: options,
 * outputs, events, counters. Source: src/engine, src/options.ts, src/stats.ts.
 * @categoryDescription shell
 * The imperative shell: `Endpoint` (one socket, many tunnels), `Tunnel` and `Session` (one
 * timer, typed events, promises) and the `l2tp:*` debug namespaces. Source: src/endpoint.ts,
 * src/tunnel.ts, src/debug.ts.
 * @categoryDescription static
 * Static (unmanaged) L2TPv3 sessions, the `ip l2tp add tunnel/session` way, and the keepalive of
 * static tunnels. Source: src/static.ts, src/keepalive.ts.
 * @categoryDescription switch
 * Tunnel switching (draft-ietf-l2tpext-tunnel-switching-08): `TunnelSwitch`, an aggregator that
 * re-tunnels calls from one tunnel into another, and the draft's AVP table (relayed, dropped,
 * regenerated, stacked). Source: src/switch.
 * @categoryDescription config
 * `L2tpConfig`: the kernel's netlink commands (create, modify, delete, get, list) as an API.
 * Source: src/config.ts.
 * @categoryDescription pw
 * Pseudowire framing: PPP, Ethernet and Ethernet VLAN, IP, HDLC, Frame Relay, ATM, and the
 * framers that check frames per pseudowire type. Source: src/pw.
 * @categoryDescription ports
 * What the host supplies: the datagram transport, clock, timers, random bytes and crypto
 * (`l2tp-core/node` implements them for Node). Source: src/transport.ts, src/crypto.ts.
 * @categoryDescription errors
 * `L2tpError` and its subclasses, each with a stable `code`. Source: src/errors.ts.
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
export * from './switch/avp-rules.js';
export * from './switch/switch.js';
export type * from './transport.js';
export * from './tunnel.js';
