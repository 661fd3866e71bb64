/**
 * ReliableChannelNode: adapts a ReliableChannel to a SimNetwork node, so two channels can talk
 * over a simulated lossy link without any codec: packets are `{ ns, nr, body }` objects (body
 * undefined for a ZLB/ACK). Records every output for assertions. Part of `l2tp-core/testing`.
 */

import { UsageError } from '../errors.js';
import type { ChannelOutput, ReceivedControl, ReliableChannel } from '../seq/reliable.js';
import type { SimNetwork, SimNode } from './network.js';

/** What travels on the simulated wire between two channel nodes. */
export type ControlPacket<T> = ReceivedControl<T>;

/** A SimNode wrapping one ReliableChannel and talking to exactly one peer node. */
export class ReliableChannelNode<T> implements SimNode<ControlPacket<T>> {
  readonly id: string;
  readonly channel: ReliableChannel<T>;
  /** Id of the node every transmit and ack goes to. */
  readonly peerId: string;
  /** Bodies delivered by the channel, in order. */
  readonly delivered: T[] = [];
  /** Every output the channel produced, in order, with the time it was produced. */
  readonly log: { readonly now: number; readonly output: ChannelOutput<T> }[] = [];
  /** Time of the `failed` output, if any. */
  failedAt: number | undefined;
  /** Time of the `closed` output, if any. */
  closedAt: number | undefined;
  readonly #net: SimNetwork<ControlPacket<T>>;
  readonly #keepLog: boolean;

  /**
   * @param keepLog - record every output in {@link ReliableChannelNode.log} (default true; turn
   *   off in long property runs).
   */
  constructor(
    id: string,
    peerId: string,
    channel: ReliableChannel<T>,
    net: SimNetwork<ControlPacket<T>>,
    keepLog = true,
  ) {
    this.id = id;
    this.peerId = peerId;
    this.channel = channel;
    this.#net = net;
    this.#keepLog = keepLog;
  }

  nextDeadline(): number | undefined {
    return this.channel.nextDeadline();
  }

  /** Runs the channel's timers due at `now` and performs what it asks for. */
  handleTimeout(now: number): void {
    this.perform(this.channel.handleTimeout(now), now);
  }

  /** Hands a packet from the network to the channel. @throws UsageError if `from` is not the peer. */
  receive(from: string, packet: ControlPacket<T>, now: number): void {
    if (from !== this.peerId) throw new UsageError(`${this.id} got a packet from ${from}`);
    this.perform(this.channel.receive(packet, now), now);
  }

  /** Sends `body` through the channel now (clock time of the network). */
  send(body: T): void {
    const now = this.#net.clock.now();
    this.perform(this.channel.send(body, now), now);
  }

  /** Closes the channel now. */
  close(): void {
    const now = this.#net.clock.now();
    this.perform(this.channel.close(now), now);
  }

  /** Acts on outputs: transmits and acks go on the wire, the rest is recorded. */
  perform(outputs: readonly ChannelOutput<T>[], now: number): void {
    for (const o of outputs) {
      if (this.#keepLog) this.log.push({ now, output: o });
      switch (o.type) {
        case 'transmit':
          this.#net.transmit(this.id, this.peerId, { ns: o.ns, nr: o.nr, body: o.body });
          break;
        case 'ack':
          this.#net.transmit(this.id, this.peerId, { ns: o.ns, nr: o.nr, body: undefined });
          break;
        case 'deliver':
          this.delivered.push(o.body);
          break;
        case 'failed':
          this.failedAt = now;
          break;
        case 'closed':
          this.closedAt = now;
          break;
      }
    }
  }
}
