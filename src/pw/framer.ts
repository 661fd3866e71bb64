/**
 * Per-pseudowire framing objects for the data path of static and managed sessions: one
 * `PseudowireFramer` per session checks outgoing frames cheaply, supplies constant octets that
 * follow the session header (PPP's FF 03), and validates received payloads into the frame view
 * handed to the host. Built on the codecs of the sibling modules (RFC 4719, RFC 4349, RFC 4591,
 * RFC 4454, RFC 1661 §6.5). Not here: header/sublayer encoding (src/codec/header.ts),
 * AAL5 reassembly, RFC 4623 fragmentation, VLAN rewriting, negotiation of PW Type / sublayer AVPs.
 */

import { readU16 } from '../codec/bytes.js';
import { ATM_FLAGS_MASK, SUBLAYER_BITS, type SublayerKind } from '../codec/header.js';
import { L2SpecificSublayer, PseudowireType } from '../constants.js';
import { DecodeError, UsageError } from '../errors.js';
import { AAL5_MAX_SDU_LENGTH, ATM_CELL_LENGTH } from './atm.js';
import { ETHERNET_HEADER_LENGTH, EtherType } from './ethernet.js';
import { FR_BITS, FR_DEFAULT_HEADER_LENGTH, type FrHeaderLength } from './frame-relay.js';
import { IPV4_MIN_HEADER_LENGTH, IPV6_HEADER_LENGTH } from './ip.js';
import { PPP_ADDRESS, PPP_CONTROL } from './ppp.js';

/** Names of the pseudowires a framer exists for. */
export type PseudowireName =
  | 'ethernet'
  | 'ethernet-vlan'
  | 'ppp'
  | 'ip'
  | 'hdlc'
  | 'frame-relay'
  | 'atm-aal5'
  | 'atm-cell-vcc'
  | 'atm-cell-vpc'
  | 'atm-cell-port';

/** PW Type AVP value (RFC 3931 §5.4.4) of each {@link PseudowireName}. */
export const PSEUDOWIRE_TYPES = Object.freeze({
  ethernet: PseudowireType.Ethernet,
  'ethernet-vlan': PseudowireType.EthernetVlan,
  ppp: PseudowireType.Ppp,
  ip: PseudowireType.Ip,
  hdlc: PseudowireType.Hdlc,
  'frame-relay': PseudowireType.FrameRelayDlci,
  'atm-aal5': PseudowireType.AtmAal5Sdu,
  'atm-cell-vcc': PseudowireType.AtmCellVcc,
  'atm-cell-vpc': PseudowireType.AtmCellVpc,
  'atm-cell-port': PseudowireType.AtmCellPort,
} as const satisfies Record<PseudowireName, PseudowireType>);

/** Options of {@link pseudowireFramer}; each applies to one family and is ignored by the others. */
export interface PseudowireFramerOptions {
  /** PPP: put FF 03 before every sent frame (`txPrefix`). Received frames may have it or not. Default false. */
  readonly addressControl?: boolean | undefined;
  /** Frame Relay: Q.922 address length agreed by AVP 85 (RFC 4591 §3.5). Default 2. */
  readonly frHeaderLength?: FrHeaderLength | undefined;
  /** ATM cell modes: most cells accepted per received packet (the value we signalled, AVP 86). */
  readonly maxCells?: number | undefined;
  /** ATM cell modes: most cells per sent packet (the value the peer signalled, RFC 4454 §6). */
  readonly peerMaxCells?: number | undefined;
  /** Ethernet: true turns `'ethernet'` into `'ethernet-vlan'` (tagged frames only, RFC 4719 §4). */
  readonly vlan?: boolean | undefined;
}

/**
 * Framing of one pseudowire type on the data path. Stateless apart from its options, so one
 * instance may serve many sessions. Per-frame methods never allocate except `decode`'s view when
 * it strips or trims octets.
 */
export interface PseudowireFramer {
  /** Which pseudowire. */
  readonly name: PseudowireName;
  /** PW Type AVP value (AVP 68). */
  readonly pwType: PseudowireType;
  /** Sublayers this pseudowire may run with (RFC 4454 §4: AAL5 SDU mode only with 'atm'). */
  readonly sublayers: readonly SublayerKind[];
  /** The sublayer to use by default / when sequencing (L2-Specific Sublayer AVP 69 value). */
  readonly defaultSublayer: SublayerKind;
  /** L2-Specific Sublayer AVP value matching `defaultSublayer`. */
  readonly l2SpecificSublayer: L2SpecificSublayer;
  /**
   * Constant octets that follow the session header on every sent packet (PPP with
   * `addressControl`: FF 03; empty otherwise). Shared and frozen in spirit: never modify it.
   */
  readonly txPrefix: Uint8Array;
  /**
   * Cheap validation of an outgoing frame (as the host hands it to `send`, without `txPrefix`).
   * Returns a short reason when the frame must not be sent, else undefined. Never throws.
   */
  checkTx(frame: Uint8Array): string | undefined;
  /**
   * Validates a received payload (after the session header and sublayer) and returns the frame
   * for the host: the payload itself, or a view of it (PPP without FF 03; IP trimmed to its
   * declared length). The view lives as long as the datagram. `atmFlags` is the data header's
   * ATM sublayer bits (0 without that sublayer); only 'atm-aal5' reads it.
   * @throws DecodeError (`L2TP_ERR_TRUNCATED`, `L2TP_ERR_BAD_LENGTH`, `L2TP_ERR_BAD_HEADER`,
   * `L2TP_ERR_BAD_VERSION`); never anything else.
   */
  decode(payload: Uint8Array, atmFlags: number): Uint8Array;
}

const EMPTY = new Uint8Array(0);
const PLAIN: readonly SublayerKind[] = Object.freeze(['none', 'default'] as SublayerKind[]);
const ATM_ONLY: readonly SublayerKind[] = Object.freeze(['atm'] as SublayerKind[]);
// RFC 4454 §5.2: cell modes run with no sublayer, the Default one, or the ATM one.
const ANY: readonly SublayerKind[] = Object.freeze(['none', 'default', 'atm'] as SublayerKind[]);

function truncated(what: string, length: number, needed: number): DecodeError {
  return new DecodeError('L2TP_ERR_TRUNCATED', `${what}: needs ${needed} octets, got ${length}`, {
    offset: length,
  });
}

function badHeader(message: string, offset: number): DecodeError {
  return new DecodeError('L2TP_ERR_BAD_HEADER', message, { offset });
}

function badLength(message: string, offset: number): DecodeError {
  return new DecodeError('L2TP_ERR_BAD_LENGTH', message, { offset });
}

function isTpid(value: number): boolean {
  return value === EtherType.Vlan || value === EtherType.QinQ;
}

abstract class BaseFramer implements PseudowireFramer {
  readonly name: PseudowireName;
  readonly pwType: PseudowireType;
  readonly sublayers: readonly SublayerKind[] = PLAIN;
  readonly defaultSublayer: SublayerKind = 'default';
  readonly l2SpecificSublayer: L2SpecificSublayer = L2SpecificSublayer.Default;
  readonly txPrefix: Uint8Array = EMPTY;

  constructor(name: PseudowireName) {
    this.name = name;
    this.pwType = PSEUDOWIRE_TYPES[name];
  }

  abstract checkTx(frame: Uint8Array): string | undefined;
  abstract decode(payload: Uint8Array, atmFlags: number): Uint8Array;
}

/**
 * Octets an Ethernet frame needs for its tags (up to two, as decodeEthernet reads them): 14
 * untagged, 18 with one tag, 22 with two; `vlan` needs at least one tag (else -1).
 */
function ethernetNeed(b: Uint8Array, vlan: boolean): number {
  if (b.length < ETHERNET_HEADER_LENGTH) return ETHERNET_HEADER_LENGTH;
  if (!isTpid(readU16(b, 12))) return vlan ? -1 : ETHERNET_HEADER_LENGTH;
  if (b.length < ETHERNET_HEADER_LENGTH + 4) return ETHERNET_HEADER_LENGTH + 4;
  return isTpid(readU16(b, 16)) ? ETHERNET_HEADER_LENGTH + 8 : ETHERNET_HEADER_LENGTH + 4;
}

// RFC 4719 §3.1: the frame without preamble and FCS is the payload, unmodified.
class EthernetFramer extends BaseFramer {
  readonly #vlan: boolean;

  constructor(vlan: boolean) {
    super(vlan ? 'ethernet-vlan' : 'ethernet');
    this.#vlan = vlan;
  }

  checkTx(frame: Uint8Array): string | undefined {
    const n = ethernetNeed(frame, this.#vlan);
    if (n < 0) return 'untagged frame on an Ethernet-VLAN pseudowire';
    return frame.length < n ? `Ethernet frame shorter than ${n} octets` : undefined;
  }

  decode(payload: Uint8Array): Uint8Array {
    const n = ethernetNeed(payload, this.#vlan);
    // RFC 4719 §4: an Ethernet-VLAN pseudowire carries tagged frames only.
    if (n < 0) throw badHeader('untagged frame on an Ethernet-VLAN pseudowire', 12);
    if (payload.length < n) throw truncated('Ethernet frame', payload.length, n);
    return payload;
  }
}

/** Offset of the Protocol field's end when `bytes[at…]` starts a valid one, else -1. */
function pppProtocolEnd(bytes: Uint8Array, at: number): number {
  const first = bytes[at];
  if (first === undefined) return -1;
  // RFC 1661 §6.5: an odd first octet is a compressed Protocol field; else the second is odd.
  if ((first & 1) === 1) return at + 1;
  const second = bytes[at + 1];
  return second !== undefined && (second & 1) === 1 ? at + 2 : -1;
}

class PppFramer extends BaseFramer {
  override readonly txPrefix: Uint8Array;

  constructor(addressControl: boolean) {
    super('ppp');
    this.txPrefix = addressControl ? Uint8Array.of(PPP_ADDRESS, PPP_CONTROL) : EMPTY;
  }

  checkTx(frame: Uint8Array): string | undefined {
    const ac = frame[0] === PPP_ADDRESS && frame[1] === PPP_CONTROL;
    if (ac && this.txPrefix.length !== 0) {
      return 'PPP frame already starts with FF 03 (addressControl adds it)';
    }
    // Judge the frame as the receiver will: after an FF 03 the host may have put there itself.
    return pppProtocolEnd(frame, ac ? 2 : 0) < 0
      ? 'PPP frame without a valid Protocol field'
      : undefined;
  }

  // Peers differ on FF 03 (RFC 2661 §5.4 leaves it to PPP): accept both, hand on without it.
  decode(payload: Uint8Array): Uint8Array {
    const at = payload[0] === PPP_ADDRESS && payload[1] === PPP_CONTROL ? 2 : 0;
    if (pppProtocolEnd(payload, at) < 0) {
      // pppProtocolEnd failed: the first octet is even (or absent), so two are needed.
      if (payload.length < at + 2) {
        throw truncated('PPP protocol field', payload.length, at + 2);
      }
      throw badHeader('PPP protocol field does not end in an odd octet', at + 1);
    }
    return at === 0 ? payload : payload.subarray(2);
  }
}

/** Declared length of the IP packet in `b`, or a negative reason code. No allocation. */
function ipLength(b: Uint8Array): number {
  const first = b[0];
  if (first === undefined) return -1;
  const version = first >>> 4;
  if (version === 4) {
    if (b.length < IPV4_MIN_HEADER_LENGTH) return -1;
    const ihl = (first & 0x0f) * 4;
    const total = readU16(b, 2);
    return ihl < IPV4_MIN_HEADER_LENGTH || total < ihl || total > b.length ? -2 : total;
  }
  if (version === 6) {
    if (b.length < IPV6_HEADER_LENGTH) return -1;
    const total = IPV6_HEADER_LENGTH + readU16(b, 4);
    return total > b.length ? -2 : total;
  }
  return -3;
}

class IpFramer extends BaseFramer {
  constructor() {
    super('ip');
  }

  checkTx(frame: Uint8Array): string | undefined {
    const n = ipLength(frame);
    if (n === -3) return 'not an IPv4/IPv6 packet (version nibble)';
    return n < 0 ? 'IP packet shorter than its header or declared length' : undefined;
  }

  decode(payload: Uint8Array): Uint8Array {
    const n = ipLength(payload);
    if (n === -1) throw truncated('IP header', payload.length, payload.length + 1);
    if (n === -2) throw badLength('IP header length fields do not fit the packet', 0);
    if (n === -3) {
      throw new DecodeError('L2TP_ERR_BAD_VERSION', 'IP version is neither 4 nor 6', {
        offset: 0,
      });
    }
    // Link padding after the declared length is not part of the packet.
    return n === payload.length ? payload : payload.subarray(0, n);
  }
}

// RFC 4349 §4.1: the whole HDLC frame (address + control at least), flags and FCS removed.
class HdlcFramer extends BaseFramer {
  constructor() {
    super('hdlc');
  }

  checkTx(frame: Uint8Array): string | undefined {
    return frame.length < 2 ? 'HDLC frame shorter than address + control' : undefined;
  }

  decode(payload: Uint8Array): Uint8Array {
    if (payload.length < 2) throw truncated('HDLC address/control', payload.length, 2);
    return payload;
  }
}

// RFC 4591 §4.1: the Q.922 address is in the payload; the frame passes unmodified.
class FrameRelayFramer extends BaseFramer {
  readonly #length: FrHeaderLength;

  constructor(length: FrHeaderLength) {
    super('frame-relay');
    this.#length = length;
  }

  /** Offset of the first wrong octet of the address field, -1 when fine, or length if short. */
  #check(b: Uint8Array): number {
    const n = this.#length;
    if (b.length < n) return b.length;
    // EA is 0 in every address octet but the last, which has EA = 1.
    for (let i = 0; i < n; i++) {
      if (((b[i] as number) & FR_BITS.EA) !== (i === n - 1 ? 1 : 0)) return i;
    }
    // RFC 4591 §4.1: with a 4-octet header the D/C bit is 0.
    return n === 4 && ((b[3] as number) & 0x02) !== 0 ? 3 : -1;
  }

  checkTx(frame: Uint8Array): string | undefined {
    const at = this.#check(frame);
    if (at < 0) return undefined;
    return at === frame.length
      ? `Frame Relay frame shorter than its ${this.#length}-octet header`
      : `Frame Relay address octet ${at} has a wrong EA or D/C bit`;
  }

  decode(payload: Uint8Array): Uint8Array {
    const at = this.#check(payload);
    if (at < 0) return payload;
    if (at === payload.length) throw truncated('Frame Relay header', at, this.#length);
    throw badHeader('Frame Relay address EA or D/C bit mismatch', at);
  }
}

// RFC 4454 §4, §5.1: the CPCS-SDU, or with T = 1 exactly one 52-octet admin cell.
class AtmAal5Framer extends BaseFramer {
  override readonly sublayers = ATM_ONLY;
  override readonly defaultSublayer = 'atm';
  override readonly l2SpecificSublayer = L2SpecificSublayer.Atm;

  constructor() {
    super('atm-aal5');
  }

  checkTx(frame: Uint8Array): string | undefined {
    return frame.length > AAL5_MAX_SDU_LENGTH ? 'AAL5 SDU longer than 65535 octets' : undefined;
  }

  decode(payload: Uint8Array, atmFlags: number): Uint8Array {
    if ((atmFlags & ATM_FLAGS_MASK & SUBLAYER_BITS.T) !== 0) {
      if (payload.length !== ATM_CELL_LENGTH) {
        throw badLength(`ATM admin cell of ${payload.length} octets (must be 52)`, 0);
      }
    } else if (payload.length > AAL5_MAX_SDU_LENGTH) {
      throw badLength(`AAL5 SDU of ${payload.length} octets > 65535`, AAL5_MAX_SDU_LENGTH);
    }
    return payload;
  }
}

// RFC 4454 §5.2: one or more whole 52-octet cells, at most the ATM Maximum Concatenated Cells.
class AtmCellFramer extends BaseFramer {
  override readonly sublayers = ANY;
  override readonly defaultSublayer = 'atm';
  override readonly l2SpecificSublayer = L2SpecificSublayer.Atm;
  readonly #maxRx: number;
  readonly #maxTx: number;

  constructor(name: 'atm-cell-vcc' | 'atm-cell-vpc' | 'atm-cell-port', rx: number, tx: number) {
    super(name);
    this.#maxRx = rx;
    this.#maxTx = tx;
  }

  checkTx(frame: Uint8Array): string | undefined {
    const n = frame.length;
    if (n === 0 || n % ATM_CELL_LENGTH !== 0) return 'not a whole number of 52-octet cells';
    return n / ATM_CELL_LENGTH > this.#maxTx ? "more cells than the peer's maximum" : undefined;
  }

  decode(payload: Uint8Array): Uint8Array {
    const n = payload.length;
    if (n === 0 || n % ATM_CELL_LENGTH !== 0) {
      const whole = n - (n % ATM_CELL_LENGTH);
      throw truncated('ATM cells', n, whole + ATM_CELL_LENGTH);
    }
    if (n / ATM_CELL_LENGTH > this.#maxRx) {
      throw badLength(`more than ${this.#maxRx} concatenated ATM cells`, this.#maxRx * 52);
    }
    return payload;
  }
}

const BY_TYPE: ReadonlyMap<number, PseudowireName> = new Map(
  Object.entries(PSEUDOWIRE_TYPES).map(([name, type]) => [type, name as PseudowireName]),
);

function maxCells(name: string, value: unknown): number {
  if (value === undefined) return Number.POSITIVE_INFINITY;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 0xffff) {
    throw new UsageError(`${name} must be an integer in 1…65535, got ${String(value)}`);
  }
  return value;
}

/**
 * The framer for a pseudowire, by name or PW Type value (AVP 68). Options that do not apply to
 * the type are ignored.
 * @throws UsageError for a type without a framer or an out-of-range option.
 */
export function pseudowireFramer(
  type: number | PseudowireName,
  options: PseudowireFramerOptions = {},
): PseudowireFramer {
  const name = typeof type === 'number' ? BY_TYPE.get(type) : type;
  switch (name) {
    case 'ethernet':
      return new EthernetFramer(options.vlan === true);
    case 'ethernet-vlan':
      return new EthernetFramer(true);
    case 'ppp':
      return new PppFramer(options.addressControl === true);
    case 'ip':
      return new IpFramer();
    case 'hdlc':
      return new HdlcFramer();
    case 'frame-relay': {
      const length = options.frHeaderLength ?? FR_DEFAULT_HEADER_LENGTH;
      if (length !== 2 && length !== 4) {
        throw new UsageError(`frHeaderLength must be 2 or 4, got ${String(length)}`);
      }
      return new FrameRelayFramer(length);
    }
    case 'atm-aal5':
      return new AtmAal5Framer();
    case 'atm-cell-vcc':
    case 'atm-cell-vpc':
    case 'atm-cell-port':
      return new AtmCellFramer(
        name,
        maxCells('maxCells', options.maxCells),
        maxCells('peerMaxCells', options.peerMaxCells),
      );
    default:
      throw new UsageError(`no framer for pseudowire type ${String(type)}`);
  }
}
