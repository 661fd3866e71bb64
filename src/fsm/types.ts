/**
 * Shapes shared by the control-connection and call state machines (tunnel.ts, session.ts):
 * result codes carried by inputs, down reasons carried by actions, and the transition-table row.
 * Pure types and one tiny helper; no protocol behaviour lives here (RFC 2661 §7).
 */

import type { RawAvp } from '../avp/raw.js';

/** Who or what ended a tunnel or session. */
export type DownBy = 'local' | 'peer' | 'timeout' | 'error' | 'tie-breaker';

/** Result Code, optional Error Code and text, as sent or received in StopCCN / CDN (RFC 2661 §4.4.2). */
export interface ResultCodes {
  readonly resultCode: number;
  readonly errorCode?: number | undefined;
  readonly message?: string | undefined;
}

/**
 * Why a tunnel or session went down: `by` plus the codes that were sent (local, error) or
 * received (peer). `timeout`: the reliable channel gave up; `tie-breaker`: our SCCRQ lost a
 * collision (RFC 2661 §4.4.3) and the tunnel was silently discarded.
 */
export interface DownReason {
  readonly by: DownBy;
  readonly resultCode?: number | undefined;
  readonly errorCode?: number | undefined;
  readonly message?: string | undefined;
  /**
   * The AVPs of the peer's CDN that ended the call (hidden ones revealed), when the tunnel has
   * the `callAvps` option; undefined otherwise and for every other cause.
   */
  readonly avps?: readonly RawAvp[] | undefined;
}

/**
 * One row of a transition table: the next state, the symbolic actions in order, and for rows
 * that end the tunnel or session, who ended it. Step functions expand the symbols into actions.
 */
export interface Transition<S extends string, K extends string> {
  readonly next: S;
  readonly actions: readonly K[];
  readonly down?: DownBy;
}

/** A transition table: state → event → row. Missing rows follow each machine's default rule. */
export type TransitionTable<S extends string, E extends string, K extends string> = {
  readonly [state in S]: { readonly [event in E]?: Transition<S, K> };
};

/** The result of a step: the new state and the actions to perform, in order. */
export interface Step<S extends string, A> {
  readonly state: S;
  readonly actions: readonly A[];
}

/** A down reason built from `by` and optional codes, without undefined properties. */
export function downReason(by: DownBy, codes?: ResultCodes): DownReason {
  if (codes === undefined) return { by };
  const r: { by: DownBy; resultCode: number; errorCode?: number; message?: string } = {
    by,
    resultCode: codes.resultCode,
  };
  if (codes.errorCode !== undefined) r.errorCode = codes.errorCode;
  if (codes.message !== undefined) r.message = codes.message;
  return r;
}
