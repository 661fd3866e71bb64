/**
 * The control-connection state machine (RFC 2661 §7.2.1, §5.7, §4.4.3) as a transition table
 * plus a pure step function. Rule 1: every tunnel state change lives in this file. Rule 2: the
 * machine does not know bytes, Ns/Nr, time, secrets or which side is LAC or LNS; the engine
 * judges a received message ("acceptable" or not, with the codes to answer) and passes the
 * verdict in the event name. Retransmission, HELLO timing and the 31 s hold are the engine's.
 *
 * States: idle → wait-ctl-reply (we sent SCCRQ) | wait-ctl-conn (we sent SCCRP) → established
 * → closing (StopCCN sent or received; post-close hold, §5.7) → closed (state released).
 * Default rules for rows missing from TUNNEL_TRANSITIONS: in closing and closed every event is
 * ignored; a received message in any other state is an FSM error (StopCCN Result 7, §7.1
 * "received in an improper sequence"); any other local event is a no-op.
 */
import { StopCcnResult } from '../constants.js';
import {
  type DownReason,
  downReason,
  type ResultCodes,
  type Step,
  type Transition,
  type TransitionTable,
} from './types.js';

/** Control connection states (RFC 2661 §7.2.1 plus closing/closed for the §5.7 hold). */
export const TUNNEL_STATES = [
  'idle',
  'wait-ctl-reply',
  'wait-ctl-conn',
  'established',
  'closing',
  'closed',
] as const;
/** A control connection state. */
export type TunnelState = (typeof TUNNEL_STATES)[number];

/**
 * Tunnel events. `recv-X-ok` / `recv-X-bad` are a received message the engine found acceptable
 * or not; `recv-session` is any call-level message (routed to its session when established);
 * `protocol-error` a tunnel-scoped ProtocolError from the decoder; `close-unanswered` a local
 * close before the peer answered our SCCRQ (no hold: the peer never assigned an id to hold for);
 * `lose-tie` our SCCRQ lost the tie breaker; `channel-failed` / `channel-closed` come from the
 * reliable channel.
 */
export const TUNNEL_EVENTS = [
  'open',
  'recv-SCCRQ-ok',
  'recv-SCCRQ-bad',
  'recv-SCCRP-ok',
  'recv-SCCRP-bad',
  'recv-SCCCN-ok',
  'recv-SCCCN-bad',
  'recv-StopCCN',
  'recv-HELLO',
  'recv-session',
  'protocol-error',
  'close',
  'close-unanswered',
  'lose-tie',
  'channel-failed',
  'channel-closed',
] as const;
/** A tunnel event name. */
export type TunnelEvent = (typeof TUNNEL_EVENTS)[number];

/** Symbolic actions used in the table. */
export type TunnelActionKind =
  | 'send-SCCRQ'
  | 'send-SCCRP'
  | 'send-SCCCN'
  | 'send-StopCCN'
  | 'tunnel-up'
  | 'tunnel-down'
  | 'hold'
  | 'discard'
  | 'release'
  | 'route-session';

/** Input to {@link stepTunnel}: an event and, where it matters, the codes that go with it. */
export interface TunnelInput {
  readonly event: TunnelEvent;
  /**
   * For `recv-*-bad`, `protocol-error`: the codes to answer with. For `close`: the codes to send
   * (default Result 1, General request to clear). For `recv-StopCCN`: the codes the peer sent.
   */
  readonly codes?: ResultCodes | undefined;
}

/** What the engine must do, in order. */
export type TunnelAction =
  | { readonly type: 'send'; readonly message: 'SCCRQ' | 'SCCRP' | 'SCCCN' }
  | { readonly type: 'send'; readonly message: 'StopCCN'; readonly codes: ResultCodes }
  | { readonly type: 'tunnel-up' }
  | { readonly type: 'tunnel-down'; readonly reason: DownReason }
  /** Start the post-close hold: keep acknowledging for a full retransmission cycle (§5.7). */
  | { readonly type: 'hold' }
  /** Drop the connection now, sending nothing more (channel failed, tie lost, clean up). */
  | { readonly type: 'discard' }
  /** The hold is over; the engine may be forgotten. */
  | { readonly type: 'release' }
  /** Hand the call-level message to its session's machine. */
  | { readonly type: 'route-session' };

type Row = Transition<TunnelState, TunnelActionKind>;

const stopAndHold = (down: 'error' | 'local'): Row => ({
  next: 'closing',
  actions: ['send-StopCCN', 'tunnel-down', 'hold'],
  down,
});
const peerStop: Row = { next: 'closing', actions: ['tunnel-down', 'hold'], down: 'peer' };
const timedOut: Row = { next: 'closed', actions: ['tunnel-down', 'discard'], down: 'timeout' };

/**
 * The transition table, RFC 2661 §7.2.1 row by row (comments quote the RFC's event column),
 * plus the local close from every state, the channel's failure (§5.8) and the hold (§5.7).
 */
export const TUNNEL_TRANSITIONS: TransitionTable<TunnelState, TunnelEvent, TunnelActionKind> = {
  idle: {
    open: { next: 'wait-ctl-reply', actions: ['send-SCCRQ'] }, // Local Open request
    'recv-SCCRQ-ok': { next: 'wait-ctl-conn', actions: ['send-SCCRP'] },
    'recv-SCCRQ-bad': stopAndHold('error'),
    'recv-SCCRP-ok': stopAndHold('error'), // "Receive SCCRP: Send StopCCN, Clean up"
    'recv-SCCRP-bad': stopAndHold('error'),
    'recv-SCCCN-ok': { next: 'closed', actions: ['tunnel-down', 'discard'], down: 'error' },
    'recv-SCCCN-bad': { next: 'closed', actions: ['tunnel-down', 'discard'], down: 'error' },
    'recv-StopCCN': { next: 'closed', actions: ['tunnel-down', 'discard'], down: 'peer' },
    'protocol-error': stopAndHold('error'),
    close: { next: 'closed', actions: ['tunnel-down', 'discard'], down: 'local' },
    'channel-failed': timedOut,
  },
  'wait-ctl-reply': {
    'recv-SCCRP-ok': { next: 'established', actions: ['send-SCCCN', 'tunnel-up'] },
    'recv-SCCRP-bad': stopAndHold('error'),
    // "Receive SCCRQ, lose tie-breaker: Clean up, Re-queue SCCRQ for idle state" (§4.4.3:
    // the loser MUST silently discard its tunnel).
    'lose-tie': { next: 'closed', actions: ['tunnel-down', 'discard'], down: 'tie-breaker' },
    'recv-StopCCN': peerStop,
    'protocol-error': stopAndHold('error'),
    close: stopAndHold('local'),
    // Closed before the peer ever answered: nobody to hold for; one StopCCN and done.
    'close-unanswered': {
      next: 'closed',
      actions: ['send-StopCCN', 'tunnel-down', 'discard'],
      down: 'local',
    },
    'channel-failed': timedOut,
  },
  'wait-ctl-conn': {
    'recv-SCCCN-ok': { next: 'established', actions: ['tunnel-up'] },
    'recv-SCCCN-bad': stopAndHold('error'),
    'recv-StopCCN': peerStop,
    'protocol-error': stopAndHold('error'),
    close: stopAndHold('local'),
    'channel-failed': timedOut,
  },
  established: {
    'recv-HELLO': { next: 'established', actions: [] },
    'recv-session': { next: 'established', actions: ['route-session'] },
    'recv-StopCCN': peerStop,
    'protocol-error': stopAndHold('error'),
    close: stopAndHold('local'), // Admin Tunnel Close
    'channel-failed': timedOut,
  },
  closing: {
    'channel-closed': { next: 'closed', actions: ['release'] },
    'channel-failed': { next: 'closed', actions: ['release'] },
  },
  closed: {},
};

/** StopCCN codes for a message received in an improper sequence (RFC 2661 §7.1). */
export function fsmErrorCodes(state: TunnelState, event: TunnelEvent): ResultCodes {
  return { resultCode: StopCcnResult.FsmError, message: `${event} in state ${state}` };
}

const CLEAR: ResultCodes = { resultCode: StopCcnResult.GeneralClear };
// The default rule's row for a message received in an improper sequence.
const IMPROPER: Row = stopAndHold('error');

/** The row used for (state, event): the table's, or the default rule's (see file header). */
export function tunnelTransition(state: TunnelState, event: TunnelEvent): Row | undefined {
  const row = TUNNEL_TRANSITIONS[state][event];
  if (row !== undefined) return row;
  if (state === 'closing' || state === 'closed') return undefined;
  if (event.startsWith('recv-')) return IMPROPER;
  return undefined;
}

// Actions that depend on nothing but the row, shared by every step.
const FIXED_ACTIONS: { readonly [kind in TunnelActionKind]?: TunnelAction } = {
  'send-SCCRQ': Object.freeze({ type: 'send', message: 'SCCRQ' }),
  'send-SCCRP': Object.freeze({ type: 'send', message: 'SCCRP' }),
  'send-SCCCN': Object.freeze({ type: 'send', message: 'SCCCN' }),
  'tunnel-up': Object.freeze({ type: 'tunnel-up' }),
  hold: Object.freeze({ type: 'hold' }),
  discard: Object.freeze({ type: 'discard' }),
  release: Object.freeze({ type: 'release' }),
  'route-session': Object.freeze({ type: 'route-session' }),
};
// Steps of rows without a StopCCN or a down reason, made once per row; null for the others.
const ROW_STEPS = new WeakMap<Row, Step<TunnelState, TunnelAction> | null>();
// The step of an event without a row, per state (no change, no actions).
const NO_STEP = new Map<TunnelState, Step<TunnelState, TunnelAction>>(
  TUNNEL_STATES.map((state) => [state, Object.freeze({ state, actions: [] })]),
);

function rowStep(row: Row): Step<TunnelState, TunnelAction> | null {
  let step = ROW_STEPS.get(row);
  if (step === undefined) {
    const actions: TunnelAction[] = [];
    for (const kind of row.actions) {
      const a = FIXED_ACTIONS[kind];
      if (a === undefined) break;
      actions.push(a);
    }
    step =
      actions.length === row.actions.length ? Object.freeze({ state: row.next, actions }) : null;
    ROW_STEPS.set(row, step);
  }
  return step;
}

/**
 * Applies one event. Pure: same inputs, same result; never throws. An event with no row (and
 * no default) leaves the state unchanged with no actions. The result may be shared between
 * calls: never mutate it (its arrays are not frozen, as V8 iterates frozen arrays several times
 * slower).
 */
export function stepTunnel(
  state: TunnelState,
  input: TunnelInput,
): Step<TunnelState, TunnelAction> {
  const row = tunnelTransition(state, input.event);
  if (row === undefined) return NO_STEP.get(state) as Step<TunnelState, TunnelAction>;
  const fixed = rowStep(row);
  if (fixed !== null) return fixed;
  const fromTable = TUNNEL_TRANSITIONS[state][input.event] !== undefined;
  const sendsStop = row.actions.includes('send-StopCCN');
  const actions: TunnelAction[] = [];
  for (const kind of row.actions) {
    switch (kind) {
      case 'send-StopCCN':
        actions.push({
          type: 'send',
          message: 'StopCCN',
          codes: stopCodes(state, input, fromTable),
        });
        break;
      case 'tunnel-down': {
        const by = row.down ?? 'error';
        // A peer close reports the codes received; local and error closes the codes sent.
        const codes =
          by === 'timeout' || by === 'tie-breaker'
            ? undefined
            : by === 'peer' || !sendsStop
              ? input.codes
              : stopCodes(state, input, fromTable);
        actions.push({ type: 'tunnel-down', reason: downReason(by, codes) });
        break;
      }
      default:
        actions.push(FIXED_ACTIONS[kind] as TunnelAction);
    }
  }
  return { state: row.next, actions };
}

// The codes a StopCCN carries: the input's, or FSM error when a message arrived out of place
// (a table row like idle + SCCRP, or the default rule), or Result 1 for a local close.
function stopCodes(state: TunnelState, input: TunnelInput, fromTable: boolean): ResultCodes {
  if (input.codes !== undefined) return input.codes;
  if (input.event === 'close' || input.event === 'close-unanswered') return CLEAR;
  if (!fromTable || input.event.startsWith('recv-')) return fsmErrorCodes(state, input.event);
  return CLEAR;
}
