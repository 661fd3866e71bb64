/**
 * Ethernet (PW type 5) and Ethernet-VLAN (PW type 4) framing, RFC 4719 §3.1, §4: the whole
 * frame without preamble and FCS is the L2TP payload, unmodified. Decoding validates the 14-octet
 * minimum and reads the addresses, up to two VLAN tags (802.1Q 0x8100, 802.1ad QinQ 0x88a8) and
 * the inner EtherType, all as views. A VLAN PW carries tagged frames only (RFC 4719 §4: both ends
 * homogeneous). Not here: NSP tag rewriting policy, FCS regeneration, the TAP device.
 */

import { need, readU16, writeU16 } from '../codec/bytes.js';
import { DecodeError, UsageError } from '../errors.js';

/** Octets of an untagged Ethernet header (destination, source, EtherType). */
export const ETHERNET_HEADER_LENGTH = 14;
/** Most VLAN tags read from one frame (outer S-tag + inner C-tag). */
export const MAX_VLAN_TAGS = 2;

/** EtherType / TPID values the codec knows about. */
export const EtherType = {
  Ipv4: 0x0800,
  Arp: 0x0806,
  /** 802.1Q customer tag TPID. */
  Vlan: 0x8100,
  Ipv6: 0x86dd,
  /** 802.1ad service tag TPID (QinQ). */
  QinQ: 0x88a8,
} as const;

/** Which Ethernet pseudowire: port (type 5) carries any frame, vlan (type 4) tagged frames only. */
export type EthernetPwMode = 'port' | 'vlan';

/** One VLAN tag as it appears in the frame. */
export interface VlanTag {
  /** Tag Protocol Identifier (0x8100 or 0x88a8). */
  readonly tpid: number;
  /** Priority Code Point (802.1p), 0–7. */
  readonly pcp: number;
  /** Drop Eligible Indicator. */
  readonly dei: boolean;
  /** VLAN identifier, 0–4095. */
  readonly vid: number;
  /** Octet offset of the tag's TPID in the frame. */
  readonly offset: number;
}

/** An Ethernet frame read from a pseudowire payload. Views alias the payload (no copy). */
export interface EthernetFrame {
  /** The whole frame (the payload itself). */
  readonly frame: Uint8Array;
  /** Destination MAC, 6-octet view. */
  readonly destination: Uint8Array;
  /** Source MAC, 6-octet view. */
  readonly source: Uint8Array;
  /** VLAN tags, outermost first (0, 1 or 2). */
  readonly tags: readonly VlanTag[];
  /** VID of the outermost tag, undefined when untagged. */
  readonly vlanId: number | undefined;
  /** EtherType after the tags (values ≤ 1500 are an 802.3 length field). */
  readonly etherType: number;
  /** Octets after the EtherType; view. */
  readonly payload: Uint8Array;
}

/** Options of {@link decodeEthernet} / {@link encodeEthernet}. */
export interface EthernetOptions {
  /** 'vlan' refuses untagged frames (RFC 4719 §4). Default 'port'. */
  readonly mode?: EthernetPwMode;
}

function isTpid(value: number): boolean {
  return value === EtherType.Vlan || value === EtherType.QinQ;
}

/**
 * Reads an Ethernet frame carried on an Ethernet or Ethernet-VLAN pseudowire. Returned views live
 * as long as `payload` is unchanged. Throws DecodeError `L2TP_ERR_TRUNCATED` below 14 octets or
 * inside a tag, `L2TP_ERR_BAD_HEADER` for an untagged frame in 'vlan' mode.
 */
export function decodeEthernet(payload: Uint8Array, options: EthernetOptions = {}): EthernetFrame {
  need(payload, ETHERNET_HEADER_LENGTH, 0, 'Ethernet header');
  const tags: VlanTag[] = [];
  let at = 12;
  let type = readU16(payload, at);
  while (isTpid(type) && tags.length < MAX_VLAN_TAGS) {
    need(payload, at + 6, at, 'VLAN tag');
    const tci = readU16(payload, at + 2);
    tags.push({
      tpid: type,
      pcp: tci >>> 13,
      dei: (tci & 0x1000) !== 0,
      vid: tci & 0x0fff,
      offset: at,
    });
    at += 4;
    type = readU16(payload, at);
  }
  if (options.mode === 'vlan' && tags.length === 0) {
    throw new DecodeError('L2TP_ERR_BAD_HEADER', 'untagged frame on an Ethernet-VLAN pseudowire', {
      offset: 12,
    });
  }
  return {
    frame: payload,
    destination: payload.subarray(0, 6),
    source: payload.subarray(6, 12),
    tags,
    vlanId: tags[0]?.vid,
    etherType: type,
    payload: payload.subarray(at + 2),
  };
}

/**
 * Frames an Ethernet frame (no preamble, no FCS) for the pseudowire: checks the minimum length
 * and, in 'vlan' mode, the tag; returns `[frame]` without copying. Throws UsageError.
 */
export function encodeEthernet(frame: Uint8Array, options: EthernetOptions = {}): Uint8Array[] {
  if (frame.length < ETHERNET_HEADER_LENGTH) {
    throw new UsageError(`Ethernet frame of ${frame.length} octets is shorter than 14`);
  }
  if (options.mode === 'vlan') {
    const tpid = readU16(frame, 12);
    if (!isTpid(tpid) || frame.length < ETHERNET_HEADER_LENGTH + 4) {
      throw new UsageError('Ethernet-VLAN pseudowire frames must carry a VLAN tag');
    }
  }
  return [frame];
}

/**
 * Rewrites the VID of the outermost VLAN tag in place (the NSP "MAY rewrite the VLAN tag" of
 * RFC 4719 §3.1), keeping PCP and DEI. Throws UsageError when the frame has no tag.
 */
export function setVlanId(frame: Uint8Array, vid: number): void {
  if ((vid & 0x0fff) !== vid) throw new UsageError(`VLAN id ${vid} is not in 0–4095`);
  if (frame.length < ETHERNET_HEADER_LENGTH + 4 || !isTpid(readU16(frame, 12))) {
    throw new UsageError('frame has no VLAN tag');
  }
  writeU16(frame, 14, (readU16(frame, 14) & 0xf000) | vid);
}
