/**
 * The call state machines (RFC 2661 §7.4.1, §7.4.2, §7.5.1, §7.5.2) as transition tables plus a
 * pure step function. Four call kinds, kept as data rather than forked code: `lac-ic` (we are
 * the LAC placing an incoming call: ICRQ → ICRP → ICCN), `lns-ic` (the LNS answering it),
 * `lns-oc` (the LNS asking for an outgoing call: OCRQ → OCRP → OCCN) and `lac-oc` (the LAC
 * placing it). No bytes, ids, Ns/Nr or time here: the engine judges messages and feeds verdicts.
 *
 * The RFC's "Clean up → idle" is the `closed` state here, so a finished call is not confused
 * with a fresh one. Default rules for rows missing from SESSION_TRANSITIONS: in `closed` every
 * event is ignored; a received message in any other state is an FSM error answered with CDN
 * (v2: Result 2, Error 6 with a message; v3: Result 16, RFC 3931 §5.4.2); other events are no-ops.
 */
import { CdnResult, GeneralError } from '../constants.js';
import {
  type DownBy,
  type DownReason,
  downReason,
  type ResultCodes,
  type Step,
  type Transition,
  type TransitionTable,
} from './types.js';

/** The four call machines, named by our role and the call direction. */
export const SESSION_KINDS = ['lac-ic', 'lns-ic', 'lns-oc', 'lac-oc'] as const;
/** A call kind. */
export type SessionKind = (typeof SESSION_KINDS)[number];

/** Call states (RFC 2661 §7.4–7.5) plus `closed`. */
export const SESSION_STATES = [
  'idle',
  'wait-tunnel',
  'wait-reply',
  'wait-connect',
  'wait-cs-answer',
  'established',
  'closed',
] as const;
/** A call state. */
export type SessionState = (typeof SESSION_STATES)[number];

/**
 * Call events. `open`: local open request / bearer ring; `tunnel-open`: the control connection
 * is established; `answer`: the LAC's outgoing call was answered (bearer up, framing detected);
 * `close`: local close request or bearer drop; `tunnel-down`: the control connection went away;
 * `protocol-error`: a session-scoped ProtocolError from the decoder.
 */
export const SESSION_EVENTS = [
  'open',
  'tunnel-open',
  'recv-ICRQ-ok',
  'recv-ICRQ-bad',
  'recv-ICRP-ok',
  'recv-ICRP-bad',
  'recv-ICCN-ok',
  'recv-ICCN-bad',
  'recv-OCRQ-ok',
  'recv-OCRQ-bad',
  'recv-OCRP-ok',
  'recv-OCRP-bad',
  'recv-OCCN-ok',
  'recv-OCCN-bad',
  'recv-CDN',
  'recv-WEN',
  'recv-SLI',
  'answer',
  'close',
  'tunnel-down',
  'protocol-error',
] as const;
/** A call event name. */
export type SessionEvent = (typeof SESSION_EVENTS)[number];

/** Call-level messages we may send. */
export type SessionMessageName = 'ICRQ' | 'ICRP' | 'ICCN' | 'OCRQ' | 'OCRP' | 'OCCN' | 'CDN';

/** Symbolic actions used in the tables. */
export type SessionActionKind =
  | 'send-ICRQ'
  | 'send-ICRP'
  | 'send-ICCN'
  | 'send-OCRQ'
  | 'send-OCRP'
  | 'send-OCCN'
  | 'send-CDN'
  | 'session-up'
  | 'session-down'
  | 'notify';

/** Input to {@link stepSession}. */
export interface SessionInput {
  readonly event: SessionEvent;
  /**
   * For `recv-*-bad`, `protocol-error`: the CDN codes to answer with. For `close`: the codes to
   * send (default Result 3, administrative). For `recv-CDN`: the peer's codes.
   */
  readonly codes?: ResultCodes | undefined;
  /** For `tunnel-down`: who closed the tunnel (reported as the session's `by`). */
  readonly by?: DownBy | undefined;
}

/** Context of a step: the protocol version picks the FSM-error codes. */
export interface SessionContext {
  readonly version: 2 | 3;
}

/** What the engine must do, in order. */
export type SessionAction =
  | { readonly type: 'send'; readonly message: Exclude<SessionMessageName, 'CDN'> }
  | { readonly type: 'send'; readonly message: 'CDN'; readonly codes: ResultCodes }
  | { readonly type: 'session-up' }
  | { readonly type: 'session-down'; readonly reason: DownReason }
  /** Pass the received WEN / SLI to the host. */
  | { readonly type: 'notify' };

type Row = Transition<SessionState, SessionActionKind>;
type Rows = { readonly [event in SessionEvent]?: Row };

const closed = (actions: readonly SessionActionKind[], down?: DownBy): Row =>
  down === undefined ? { next: 'closed', actions } : { next: 'closed', actions, down };
const peerCdn = closed(['session-down'], 'peer'); // "Receive CDN: Clean up"
const localCdn = closed(['send-CDN', 'session-down'], 'local'); // "Local close request: Send CDN"
const errorCdn = closed(['send-CDN', 'session-down'], 'error'); // "Send CDN, Clean up"
const notify: Row = { next: 'established', actions: ['notify'] };
// Rows every live state shares: the tunnel went away, or the decoder rejected a message.
const common: Rows = {
  'tunnel-down': closed(['session-down'], 'local'),
  'protocol-error': errorCdn,
  'recv-CDN': peerCdn,
};
const stay = (state: SessionState, actions: readonly SessionActionKind[]): Row => ({
  next: state,
  actions,
});

/**
 * The four tables, RFC 2661 §7.4.1 (lac-ic), §7.4.2 (lns-ic), §7.5.1 (lac-oc), §7.5.2 (lns-oc).
 * WEN and SLI are passed to the host in the states where the call exists at the peer.
 */
export const SESSION_TRANSITIONS: {
  readonly [kind in SessionKind]: TransitionTable<SessionState, SessionEvent, SessionActionKind>;
} = {
  'lac-ic': {
    idle: { open: { next: 'wait-tunnel', actions: [] } }, // Bearer Ring / ready to indicate
    'wait-tunnel': {
      'tunnel-open': { next: 'wait-reply', actions: ['send-ICRQ'] },
      close: closed(['session-down'], 'local'), // Bearer line drop or local close: Clean up
      'tunnel-down': closed(['session-down'], 'local'),
    },
    'wait-reply': {
      ...common,
      'recv-ICRP-ok': { next: 'established', actions: ['send-ICCN', 'session-up'] },
      'recv-ICRP-bad': errorCdn,
      'recv-ICRQ-ok': errorCdn,
      'recv-ICRQ-bad': errorCdn,
      'recv-ICCN-ok': closed(['session-down'], 'error'), // "Receive CDN, ICCN: Clean up"
      'recv-ICCN-bad': closed(['session-down'], 'error'),
      close: localCdn,
    },
    established: {
      ...common,
      'recv-WEN': notify,
      'recv-SLI': notify,
      close: localCdn,
    },
    'wait-connect': {},
    'wait-cs-answer': {},
    closed: {},
  },
  'lns-ic': {
    idle: {
      'recv-ICRQ-ok': { next: 'wait-connect', actions: ['send-ICRP'] },
      // Refused before the host knew the call: CDN only, no session-down.
      'recv-ICRQ-bad': closed(['send-CDN']),
    },
    'wait-connect': {
      ...common,
      'recv-ICCN-ok': { next: 'established', actions: ['session-up'] }, // Prepare for data
      'recv-ICCN-bad': errorCdn,
      'recv-WEN': stay('wait-connect', ['notify']),
      'recv-SLI': stay('wait-connect', ['notify']),
      close: localCdn,
    },
    established: {
      ...common,
      'recv-WEN': notify,
      'recv-SLI': notify,
      close: localCdn,
    },
    'wait-tunnel': {},
    'wait-reply': {},
    'wait-cs-answer': {},
    closed: {},
  },
  'lns-oc': {
    idle: { open: { next: 'wait-tunnel', actions: [] } }, // Local open request
    'wait-tunnel': {
      'tunnel-open': { next: 'wait-reply', actions: ['send-OCRQ'] },
      close: closed(['session-down'], 'local'),
      'tunnel-down': closed(['session-down'], 'local'),
    },
    'wait-reply': {
      ...common,
      'recv-OCRP-ok': { next: 'wait-connect', actions: [] },
      'recv-OCRP-bad': errorCdn,
      close: localCdn,
    },
    'wait-connect': {
      ...common,
      'recv-OCCN-ok': { next: 'established', actions: ['session-up'] },
      'recv-OCCN-bad': errorCdn,
      'recv-WEN': stay('wait-connect', ['notify']),
      'recv-SLI': stay('wait-connect', ['notify']),
      close: localCdn,
    },
    established: {
      ...common,
      'recv-WEN': notify,
      'recv-SLI': notify,
      close: localCdn,
    },
    'wait-cs-answer': {},
    closed: {},
  },
  'lac-oc': {
    idle: {
      'recv-OCRQ-ok': { next: 'wait-cs-answer', actions: ['send-OCRP'] }, // Send OCRP, open bearer
      'recv-OCRQ-bad': closed(['send-CDN']),
    },
    'wait-cs-answer': {
      ...common,
      answer: { next: 'established', actions: ['send-OCCN', 'session-up'] },
      close: localCdn, // Bearer failure: Send CDN
      'recv-SLI': stay('wait-cs-answer', ['notify']),
    },
    established: {
      ...common,
      'recv-WEN': notify,
      'recv-SLI': notify,
      close: localCdn,
    },
    'wait-tunnel': {},
    'wait-reply': {},
    'wait-connect': {},
    closed: {},
  },
};

/** CDN codes for a call message received in an improper sequence. */
export function sessionFsmErrorCodes(
  state: SessionState,
  event: SessionEvent,
  ctx: SessionContext,
): ResultCodes {
  const message = `${event} in state ${state}`;
  // RFC 2661 has no FSM-error Result Code for CDN: General error, vendor-specific, with text.
  return ctx.version === 3
    ? { resultCode: CdnResult.FsmError, message }
    : { resultCode: CdnResult.GeneralError, errorCode: GeneralError.VendorSpecific, message };
}

const ADMIN: ResultCodes = { resultCode: CdnResult.Administrative };

/** The row used for (kind, state, event): the table's, or the default rule's (file header). */
export function sessionTransition(
  kind: SessionKind,
  state: SessionState,
  event: SessionEvent,
): Row | undefined {
  const row = SESSION_TRANSITIONS[kind][state][event];
  if (row !== undefined) return row;
  if (state === 'closed' || state === 'idle') return undefined;
  if (event.startsWith('recv-')) return errorCdn;
  return undefined;
}

// Steps that depend on the row alone (no CDN codes, no down reason), made once per row: the
// engine steps a call on every call-level message, and most steps are one of these.
const ROW_STEPS = new WeakMap<Row, Step<SessionState, SessionAction> | null>();
// The step of an event without a row, per state (no change, no actions).
const NO_STEP = new Map<SessionState, Step<SessionState, SessionAction>>(
  SESSION_STATES.map((state) => [state, Object.freeze({ state, actions: [] })]),
);
const SEND_ACTIONS = new Map<string, SessionAction>(
  (['ICRQ', 'ICRP', 'ICCN', 'OCRQ', 'OCRP', 'OCCN'] as const).map((message) => [
    `send-${message}`,
    Object.freeze({ type: 'send', message }),
  ]),
);
const SESSION_UP: SessionAction = Object.freeze({ type: 'session-up' });
const NOTIFY: SessionAction = Object.freeze({ type: 'notify' });

// A frozen step for `row` when none of its actions depend on the input, else null.
function rowStep(row: Row): Step<SessionState, SessionAction> | null {
  let step = ROW_STEPS.get(row);
  if (step === undefined) {
    const actions: SessionAction[] = [];
    for (const k of row.actions) {
      const a = k === 'session-up' ? SESSION_UP : k === 'notify' ? NOTIFY : SEND_ACTIONS.get(k);
      if (a === undefined) break; // send-CDN, session-down: built per step
      actions.push(a);
    }
    step =
      actions.length === row.actions.length ? Object.freeze({ state: row.next, actions }) : null;
    ROW_STEPS.set(row, step);
  }
  return step;
}

/**
 * Applies one event to a call of `kind`. Pure; never throws. An event with no row leaves the
 * state unchanged with no actions. The result may be shared between calls: never mutate it (its
 * arrays are not frozen, as V8 iterates frozen arrays several times slower).
 */
export function stepSession(
  kind: SessionKind,
  state: SessionState,
  input: SessionInput,
  ctx: SessionContext,
): Step<SessionState, SessionAction> {
  const row = sessionTransition(kind, state, input.event);
  if (row === undefined) return NO_STEP.get(state) as Step<SessionState, SessionAction>;
  const fixed = rowStep(row);
  if (fixed !== null) return fixed;
  const fromTable = SESSION_TRANSITIONS[kind][state][input.event] !== undefined;
  const sent: ResultCodes =
    input.codes ??
    (input.event === 'close'
      ? ADMIN
      : !fromTable || input.event.startsWith('recv-')
        ? sessionFsmErrorCodes(state, input.event, ctx)
        : ADMIN);
  const actions: SessionAction[] = [];
  for (const k of row.actions) {
    switch (k) {
      case 'send-CDN':
        actions.push({ type: 'send', message: 'CDN', codes: sent });
        break;
      case 'session-up':
        actions.push(SESSION_UP);
        break;
      case 'session-down': {
        const by = input.event === 'tunnel-down' ? (input.by ?? 'local') : (row.down ?? 'error');
        const codes =
          input.event === 'tunnel-down'
            ? undefined
            : by === 'peer' || row.actions.includes('send-CDN')
              ? by === 'peer'
                ? input.codes
                : sent
              : input.codes;
        actions.push({ type: 'session-down', reason: downReason(by, codes) });
        break;
      }
      case 'notify':
        actions.push(NOTIFY);
        break;
      default:
        actions.push(SEND_ACTIONS.get(k) as SessionAction);
    }
  }
  return { state: row.next, actions };
}
