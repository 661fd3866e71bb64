/**
 * Which framing codec and which L2-Specific Sublayer go with each L2TPv3 pseudowire type:
 * RFC 3931 §4.6, §10.6; RFC 4719 §3.2 (Ethernet), RFC 4349 §4.2 (HDLC), RFC 4591 §4.2 (FR),
 * RFC 4454 §4, §4.2 (ATM). A lookup table only; the codecs live in the sibling modules.
 * Not here: negotiation of the PW Type / L2-Specific Sublayer AVPs (session FSM).
 */

import { L2SpecificSublayer, PseudowireType } from '../constants.js';

/** The framing family a pseudowire type's payload belongs to. */
export type PwFamily = 'frame-relay' | 'atm-aal5' | 'atm-cell' | 'ethernet' | 'hdlc' | 'ppp' | 'ip';

/** Framing facts for one pseudowire type. */
export interface PwFraming {
  /** Pseudowire Type AVP value (RFC 3931 §5.4.4). */
  readonly type: PseudowireType;
  readonly family: PwFamily;
  /** The sublayer to request when sequencing is on (L2-Specific Sublayer AVP value). */
  readonly sequencedSublayer: L2SpecificSublayer;
  /** True when a sublayer must be present even without sequencing (AAL5 SDU mode only). */
  readonly sublayerRequired: boolean;
}

function row(
  type: PseudowireType,
  family: PwFamily,
  sequencedSublayer: L2SpecificSublayer = L2SpecificSublayer.Default,
  sublayerRequired = false,
): PwFraming {
  return { type, family, sequencedSublayer, sublayerRequired };
}

/** Framing of every pseudowire type with a codec in src/pw, keyed by type value. */
export const PW_FRAMING: ReadonlyMap<number, PwFraming> = new Map(
  [
    row(PseudowireType.FrameRelayDlci, 'frame-relay'),
    // RFC 4454 §4: the ATM-Specific Sublayer is REQUIRED for AAL5 SDU mode.
    row(PseudowireType.AtmAal5Sdu, 'atm-aal5', L2SpecificSublayer.Atm, true),
    // RFC 4454 §5.2: cell mode may use Default or ATM; §4.2 asks for ATM when sequencing.
    row(PseudowireType.AtmCellPort, 'atm-cell', L2SpecificSublayer.Atm),
    row(PseudowireType.EthernetVlan, 'ethernet'),
    row(PseudowireType.Ethernet, 'ethernet'),
    row(PseudowireType.Hdlc, 'hdlc'),
    row(PseudowireType.Ppp, 'ppp'),
    row(PseudowireType.AtmCellVcc, 'atm-cell', L2SpecificSublayer.Atm),
    row(PseudowireType.AtmCellVpc, 'atm-cell', L2SpecificSublayer.Atm),
    row(PseudowireType.Ip, 'ip'),
  ].map((r) => [r.type, r] as const),
);

/** Framing facts for `type`, or undefined when src/pw has no codec for it. */
export function pwFraming(type: number): PwFraming | undefined {
  return PW_FRAMING.get(type);
}
