/**
 * `l2tp-core/testing`: a deterministic test kit for hosts embedding l2tp-core and for our own
 * tests. A virtual clock, a seeded random source, a discrete-event network simulator with lossy
 * links and a bounded driver, and an adapter that puts a ReliableChannel on that network.
 * Nothing here reads real time or opens sockets. Re-exports only.
 *
 * @module l2tp-core/testing
 */

export { type ControlPacket, ReliableChannelNode } from './channel-node.js';
export { VirtualClock } from './clock.js';
export {
  type LinkOptions,
  type LinkStats,
  type RunOptions,
  type RunResult,
  SimNetwork,
  type SimNetworkOptions,
  type SimNode,
  type StopReason,
} from './network.js';
export { SeededRandom } from './random.js';
