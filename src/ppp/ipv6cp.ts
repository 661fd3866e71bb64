/**
 * IPv6CP, the IPv6 Control Protocol (0x8057, RFC 5072 §3–§4).
 *
 * Interface-Identifier (1), 64 bits, RFC 5072 §4.1:
 * - ours is `interfaceId` or drawn from the injected `randomBytes`, non-zero, with the "u" bit
 *   (0x02 of the first octet) cleared as the RFC asks of random identifiers;
 * - the peer's identifier is acknowledged when it differs from ours and is not zero; zero or
 *   equal to ours is Nak'd with a suggestion (`peerInterfaceId` if usable, else random) that
 *   differs from ours; both zero is Rejected;
 * - a Nak from the peer: its suggestion becomes ours, unless it is the one we last Nak'd the peer
 *   with (a collision), in which case we draw a new one;
 * - a Reject: the option is not sent again, and our tentative identifier stays ours.
 * IPv6-Compression-Protocol (2, dropped from RFC 5072, Appendix B) and unknown options are
 * rejected.
 */

import { UsageError } from '../errors.js';
import {
  ACK,
  type AutomatonOptions,
  nak,
  type OptionNegotiator,
  type OptionVerdict,
  PppAutomaton,
  REJECT,
} from './automaton.js';
import {
  defaultFraming,
  type PppFraming,
  type PppOption,
  PppProtocol,
  sameBytes,
} from './frame.js';
import type { Ipv6cpValues, PppReason } from './types.js';

/** IPv6CP Configuration Option types (RFC 5072 §4). */
export const Ipv6cpOption = {
  InterfaceIdentifier: 1,
  Ipv6CompressionProtocol: 2,
} as const;

/** Options of IPv6CP. */
export interface Ipv6cpOptions extends AutomatonOptions {
  /** Random bytes for identifiers (injected). */
  readonly randomBytes: (n: number) => Uint8Array;
  /** Our tentative identifier (8 octets, non-zero). Default: random. */
  readonly interfaceId?: Uint8Array | undefined;
  /** The identifier to suggest to a peer that has none or ours (8 octets). Default: random. */
  readonly peerInterfaceId?: Uint8Array | undefined;
}

const ZERO = new Uint8Array(8);

function isZero(id: Uint8Array): boolean {
  return sameBytes(id, ZERO);
}

function checkId(name: string, id: Uint8Array | undefined): Uint8Array | undefined {
  if (id === undefined) return undefined;
  if (id.length !== 8 || isZero(id)) throw new UsageError(`${name} must be 8 octets, not all zero`);
  return Uint8Array.from(id);
}

/** The IPv6CP plug-in of the automaton. */
export class Ipv6cpNegotiator implements OptionNegotiator<'ipv6cp'> {
  readonly name = 'ipv6cp' as const;
  readonly protocol = PppProtocol.Ipv6cp;
  readonly #random: (n: number) => Uint8Array;
  readonly #ourCfg: Uint8Array | undefined;
  readonly #peerCfg: Uint8Array | undefined;
  #ours: Uint8Array;
  #on = true;
  #lastNak: Uint8Array | undefined;
  #local: Uint8Array | undefined;
  #peer: Uint8Array | undefined;

  constructor(options: Ipv6cpOptions) {
    if (typeof options.randomBytes !== 'function') throw new UsageError('randomBytes is required');
    this.#random = options.randomBytes;
    this.#ourCfg = checkId('interfaceId', options.interfaceId);
    this.#peerCfg = checkId('peerInterfaceId', options.peerInterfaceId);
    this.#ours = this.#ourCfg ?? this.#draw(undefined);
  }

  /** A random identifier, u bit cleared, non-zero, different from `avoid`. */
  #draw(avoid: Uint8Array | undefined): Uint8Array {
    for (let k = 0; k < 16; k++) {
      const b = this.#random(8);
      if (b.length < 8) throw new UsageError('randomBytes(8) returned fewer than 8 bytes');
      const id = Uint8Array.from(b.subarray(0, 8));
      id[0] = (id[0] as number) & ~0x02; // RFC 5072 §4.1: "u" bit zero for a random identifier
      if (!isZero(id) && (avoid === undefined || !sameBytes(id, avoid))) return id;
    }
    // A stuck generator: derive one that differs from `avoid`.
    const id = Uint8Array.from(avoid ?? ZERO);
    id[7] = ((id[7] as number) + 1) & 0xff;
    if (isZero(id)) id[6] = 1;
    return id;
  }

  /** A suggestion for the peer: non-zero and different from ours. */
  #suggestion(): Uint8Array {
    const cfg = this.#peerCfg;
    const s = cfg !== undefined && !sameBytes(cfg, this.#ours) ? cfg : this.#draw(this.#ours);
    this.#lastNak = s;
    return s;
  }

  reset(): void {
    this.#ours = this.#ourCfg ?? this.#draw(undefined);
    this.#on = true;
    this.#local = undefined;
    this.#peer = undefined;
  }

  request(): readonly PppOption[] {
    return this.#on ? [{ type: Ipv6cpOption.InterfaceIdentifier, data: this.#ours }] : [];
  }

  judge(o: PppOption): OptionVerdict {
    if (o.type !== Ipv6cpOption.InterfaceIdentifier) return REJECT;
    if (o.data.length !== 8) {
      return nak({ type: Ipv6cpOption.InterfaceIdentifier, data: this.#suggestion() });
    }
    const same = sameBytes(o.data, this.#ours);
    // §4.1: both zero → Reject; equal, or zero → Nak with a different non-zero value; else Ack.
    if (same && isZero(o.data)) return REJECT;
    if (same || isZero(o.data)) {
      return nak({ type: Ipv6cpOption.InterfaceIdentifier, data: this.#suggestion() });
    }
    return ACK;
  }

  missing(): readonly PppOption[] {
    return [];
  }

  peerAcked(options: readonly PppOption[]): void {
    this.#peer = undefined;
    for (const o of options) {
      if (o.type === Ipv6cpOption.InterfaceIdentifier) this.#peer = Uint8Array.from(o.data);
    }
  }

  acked(options: readonly PppOption[]): void {
    this.#local = undefined;
    for (const o of options) {
      if (o.type === Ipv6cpOption.InterfaceIdentifier) this.#local = Uint8Array.from(o.data);
    }
  }

  nakked(o: PppOption, requested: boolean, failing: boolean): void {
    if (o.type !== Ipv6cpOption.InterfaceIdentifier) return;
    if (failing) {
      if (requested) this.rejected(o);
      return;
    }
    if (o.data.length !== 8) return;
    // §4.1: the peer's suggestion is ours unless it is the one we Nak'd it with (collision).
    const collided = this.#lastNak !== undefined && sameBytes(o.data, this.#lastNak);
    this.#ours = collided || isZero(o.data) ? this.#draw(this.#ours) : Uint8Array.from(o.data);
    this.#on = true;
  }

  rejected(o: PppOption): void {
    // §4.1: "MUST NOT contain the interface-identifier option if a valid ... Configure-Reject".
    if (o.type === Ipv6cpOption.InterfaceIdentifier) this.#on = false;
  }

  failure(): PppReason | undefined {
    return undefined;
  }

  values(): Ipv6cpValues {
    return {
      localInterfaceId: Uint8Array.from(this.#local ?? this.#ours),
      peerInterfaceId: this.#peer === undefined ? undefined : Uint8Array.from(this.#peer),
    };
  }
}

/** An IPv6CP automaton. `framing` is the link's (shared with LCP). */
export function createIpv6cp(
  options: Ipv6cpOptions,
  framing: PppFraming = defaultFraming(),
): PppAutomaton<'ipv6cp'> {
  return new PppAutomaton(new Ipv6cpNegotiator(options), framing, options);
}
