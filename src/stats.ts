/**
 * The kernel's ten per-session counters (tx_packets … rx_invalid) in camelCase, their kernel
 * names, and the arithmetic the session and tunnel totals share. One definition for static
 * sessions (src/static.ts), managed sessions (src/engine.ts, src/tunnel.ts) and the
 * configuration API (src/config.ts). No state, no I/O.
 */

/** Counters of a session, the kernel's names in camelCase ({@link KERNEL_STAT_NAMES}). */
export interface StaticSessionStats {
  /** tx_packets: frames handed out by `send`. */
  readonly txPackets: number;
  /** tx_bytes: payload octets of those frames (headers excluded, like the kernel). */
  readonly txBytes: number;
  /** tx_errors: frames `send` refused (framer check, mtu) plus failures reported with `countTxError`. */
  readonly txErrors: number;
  /** rx_packets: frames delivered. */
  readonly rxPackets: number;
  /** rx_bytes: payload octets delivered. */
  readonly rxBytes: number;
  /** rx_seq_discards: out of sequence, expired, duplicate, or unsequenced under RECVSEQ. */
  readonly rxSeqDiscards: number;
  /** rx_oos_packets: frames that arrived after a higher Ns was already held. */
  readonly rxOosPackets: number;
  /** rx_errors: every frame discarded after decoding (cookie, sequencing, framing and mru drops). */
  readonly rxErrors: number;
  /** rx_cookie_discards: wrong cookie (RFC 3931 §4.5). */
  readonly rxCookieDiscards: number;
  /**
   * rx_invalid: datagrams that are not a valid data message for this session (not in rxErrors),
   * including ones shorter than `peer_offset` or an ATM admin cell of the wrong length.
   */
  readonly rxInvalid: number;
}

/** The kernel's counter name for each {@link StaticSessionStats} field. */
export const KERNEL_STAT_NAMES = Object.freeze({
  txPackets: 'tx_packets',
  txBytes: 'tx_bytes',
  txErrors: 'tx_errors',
  rxPackets: 'rx_packets',
  rxBytes: 'rx_bytes',
  rxSeqDiscards: 'rx_seq_discards',
  rxOosPackets: 'rx_oos_packets',
  rxErrors: 'rx_errors',
  rxCookieDiscards: 'rx_cookie_discards',
  rxInvalid: 'rx_invalid',
} as const);

/** Counters under the kernel's snake_case names (e.g. for `ip -s l2tp show session`-like output). */
export type KernelStats = {
  readonly [K in keyof typeof KERNEL_STAT_NAMES as (typeof KERNEL_STAT_NAMES)[K]]: number;
};

/** Converts camelCase counters to the kernel's names. Allocates one object. */
export function toKernelStats(stats: StaticSessionStats): KernelStats {
  return {
    tx_packets: stats.txPackets,
    tx_bytes: stats.txBytes,
    tx_errors: stats.txErrors,
    rx_packets: stats.rxPackets,
    rx_bytes: stats.rxBytes,
    rx_seq_discards: stats.rxSeqDiscards,
    rx_oos_packets: stats.rxOosPackets,
    rx_errors: stats.rxErrors,
    rx_cookie_discards: stats.rxCookieDiscards,
    rx_invalid: stats.rxInvalid,
  };
}

/** All ten counters at zero (frozen). */
export const ZERO_SESSION_STATS: StaticSessionStats = Object.freeze({
  txPackets: 0,
  txBytes: 0,
  txErrors: 0,
  rxPackets: 0,
  rxBytes: 0,
  rxSeqDiscards: 0,
  rxOosPackets: 0,
  rxErrors: 0,
  rxCookieDiscards: 0,
  rxInvalid: 0,
});

/** Field-by-field sum of two counter sets (e.g. to total sessions). Allocates one object. */
export function addStats(a: StaticSessionStats, b: StaticSessionStats): StaticSessionStats {
  return {
    txPackets: a.txPackets + b.txPackets,
    txBytes: a.txBytes + b.txBytes,
    txErrors: a.txErrors + b.txErrors,
    rxPackets: a.rxPackets + b.rxPackets,
    rxBytes: a.rxBytes + b.rxBytes,
    rxSeqDiscards: a.rxSeqDiscards + b.rxSeqDiscards,
    rxOosPackets: a.rxOosPackets + b.rxOosPackets,
    rxErrors: a.rxErrors + b.rxErrors,
    rxCookieDiscards: a.rxCookieDiscards + b.rxCookieDiscards,
    rxInvalid: a.rxInvalid + b.rxInvalid,
  };
}
