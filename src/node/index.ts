/**
 * `l2tp-core/node`: the Node.js adapters for the ports of src/transport.ts and src/crypto.ts —
 * a node:dgram UDP transport, an L2TPv3-over-IP transport on a host-supplied raw socket (RFC 3931
 * §4.1.1), a `performance.now()` clock, `setTimeout` timers, Web Crypto random bytes and
 * node:crypto MD5/HMAC. Re-exports only.
 *
 * Kept out of the main entry so that the engine's own modules import no `node:` module; hosts on
 * Node import these from here. No protocol logic lives under src/node.
 *
 * @module l2tp-core/node
 */

export {
  createNodeTimerHost,
  type NodeTimerHostOptions,
  nodeClock,
  nodeRandomBytes,
  nodeTimers,
} from './clock.js';
export { nodeCrypto } from './crypto.js';
// L2TPv3 over IP (protocol 115) on a host-supplied raw socket.
export * from './ip.js';
export { nodePppAuthCrypto } from './ppp-crypto.js';
export {
  openUdpTransport,
  type UdpErrorContext,
  UdpTransport,
  type UdpTransportOptions,
  type UdpTransportStats,
} from './udp.js';
