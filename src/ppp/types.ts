/**
 * Shapes shared by the PPP engines (automaton.ts, lcp.ts, ipcp.ts, ipv6cp.ts, link.ts): what
 * they output, the events they report, why a protocol went down, and the values each protocol
 * negotiated. Pure types; no behaviour.
 */

/** The control protocols of this package. */
export type PppProtocolName = 'lcp' | 'ipcp' | 'ipv6cp';

/**
 * An authentication protocol as LCP's Authentication-Protocol option names it (RFC 1661 §6.2):
 * PAP (0xc023, RFC 1334), CHAP with MD5 (0xc223 algorithm 5, RFC 1994) or MS-CHAPv2 (0xc223
 * algorithm 0x81, RFC 2759).
 */
export type AuthProtocol = 'pap' | 'chap-md5' | 'mschapv2';

/** Who or what ended a protocol's Opened state or its negotiation. */
export type PppReasonBy = 'local' | 'peer' | 'timeout' | 'lower-layer';

/**
 * Why, as a stable code:
 * - `admin-close`: the host closed it (Close event);
 * - `lower-down`: the layer below went down (Down event);
 * - `peer-terminate`: the peer sent Terminate-Request;
 * - `renegotiate`: the peer restarted negotiation while Opened (RFC 1661 §4.3: RCR/RCA/RCN/RTA);
 * - `no-response`: Max-Configure Configure-Requests went unanswered (TO-);
 * - `code-rejected`: the peer Code-Rejected a code this protocol cannot do without (RXJ-);
 * - `protocol-rejected`: the peer Protocol-Rejected this protocol (RXJ-);
 * - `loopback`: LCP saw its own Magic-Number come back too often (RFC 1661 §6.4);
 * - `keepalive`: LCP Echo-Requests went unanswered;
 * - `auth-refused`: the peer would not agree to any authentication protocol we require;
 * - `auth-failed`: the authentication phase failed;
 * - `no-address`: IPCP could not obtain an address for our end;
 * - `no-network`: every network protocol ended, so the link closes (link.ts).
 */
export type PppReasonCode =
  | 'admin-close'
  | 'lower-down'
  | 'peer-terminate'
  | 'renegotiate'
  | 'no-response'
  | 'code-rejected'
  | 'protocol-rejected'
  | 'loopback'
  | 'keepalive'
  | 'auth-refused'
  | 'auth-failed'
  | 'no-address'
  | 'no-network';

/** Why a protocol went down or finished. `message`: text for people (e.g. the peer's). */
export interface PppReason {
  readonly by: PppReasonBy;
  readonly code: PppReasonCode;
  readonly message?: string | undefined;
}

/** What LCP agreed on (RFC 1661 §6), reported with its `up` event. */
export interface LcpValues {
  /** Our MRU as the peer acknowledged it: the largest Information field it may send us. */
  readonly mru: number;
  /** The peer's MRU: the largest Information field we may send. 1500 unless it asked otherwise. */
  readonly mtu: number;
  /** Our Magic-Number, 0 when not negotiated. */
  readonly localMagic: number;
  /** The peer's Magic-Number, 0 when it sent none. */
  readonly peerMagic: number;
  /** We may send 1-octet Protocol fields (the peer asked for PFC, we acknowledged). */
  readonly txPfc: boolean;
  /** The peer may send us 1-octet Protocol fields (we asked, it acknowledged). */
  readonly rxPfc: boolean;
  /** We may leave out FF 03 (the peer asked for ACFC, we acknowledged). */
  readonly txAcfc: boolean;
  /** The peer may leave out FF 03. */
  readonly rxAcfc: boolean;
  /** The peer's Async-Control-Character-Map, when it sent one (RFC 1662 §7.1; unused on L2TP). */
  readonly peerAccm: number | undefined;
  /** The protocol the peer authenticates itself to us with (we asked, it acknowledged). */
  readonly authenticatePeer: AuthProtocol | undefined;
  /** The protocol we authenticate ourselves with (the peer asked, we acknowledged). */
  readonly authenticateSelf: AuthProtocol | undefined;
}

/** What IPCP agreed on (RFC 1332 §3.3, RFC 1877), addresses dotted-quad. */
export interface IpcpValues {
  /** Our address (as the peer acknowledged it). */
  readonly localAddress: string;
  /** The peer's address: the one it asked for and we acknowledged, or the one we assigned. */
  readonly peerAddress: string | undefined;
  /** Name servers the peer gave us (RFC 1877), when we asked and it answered. */
  readonly primaryDns: string | undefined;
  readonly secondaryDns: string | undefined;
  readonly primaryNbns: string | undefined;
  readonly secondaryNbns: string | undefined;
}

/** What IPv6CP agreed on (RFC 5072 §4.1): the 64-bit interface identifiers (8 octets each). */
export interface Ipv6cpValues {
  /** Our identifier: as acknowledged, or our tentative one when the peer rejected the option. */
  readonly localInterfaceId: Uint8Array;
  /** The peer's identifier, when it sent one and we acknowledged it. */
  readonly peerInterfaceId: Uint8Array | undefined;
}

/** Values per protocol. */
export interface PppValues {
  readonly lcp: LcpValues;
  readonly ipcp: IpcpValues;
  readonly ipv6cp: Ipv6cpValues;
}

/** A PPP link phase (RFC 1661 §3.2). */
export type PppPhase = 'dead' | 'establish' | 'authenticate' | 'network' | 'terminate';

/** Something that happened, for the host. */
export type PppEvent =
  /** This-Layer-Up: the protocol reached Opened with these values. */
  | { readonly type: 'up'; readonly protocol: 'lcp'; readonly values: LcpValues }
  | { readonly type: 'up'; readonly protocol: 'ipcp'; readonly values: IpcpValues }
  | { readonly type: 'up'; readonly protocol: 'ipv6cp'; readonly values: Ipv6cpValues }
  /** This-Layer-Down: the protocol left Opened. */
  | { readonly type: 'down'; readonly protocol: PppProtocolName; readonly reason: PppReason }
  /** This-Layer-Started: the protocol needs its lower layer (RFC 1661 §4.4 tls). */
  | { readonly type: 'started'; readonly protocol: PppProtocolName }
  /**
   * This-Layer-Finished: the protocol no longer needs its lower layer. For LCP the link is over:
   * the host may end the L2TP call.
   */
  | { readonly type: 'finished'; readonly protocol: PppProtocolName; readonly reason: PppReason }
  /** The peer Protocol-Rejected `protocol` (RFC 1661 §5.7): stop sending it. */
  | { readonly type: 'protocol-rejected'; readonly protocol: number }
  /** The link entered a phase (link.ts). */
  | { readonly type: 'phase'; readonly phase: PppPhase }
  /** The authentication phase ended (link.ts). */
  | {
      readonly type: 'auth';
      readonly ok: boolean;
      readonly message?: string | undefined;
      readonly peerName?: string | undefined;
    }
  /** Something the authentication phase has for the host (link.ts, AuthPhaseOutput `notify`). */
  | { readonly type: 'auth-notify'; readonly detail: unknown };

/**
 * What an engine asks the host to do, in order: send a frame (`frame` is the whole PPP frame as
 * framed by `PppFraming`: hand it to the L2TP session), report an event, or (link.ts) deliver a
 * network-layer packet that arrived (`data` is a view of the received frame).
 */
export type PppOutput =
  | { readonly type: 'transmit'; readonly protocol: number; readonly frame: Uint8Array }
  | { readonly type: 'event'; readonly event: PppEvent }
  | { readonly type: 'data'; readonly protocol: number; readonly data: Uint8Array };
