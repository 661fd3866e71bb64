// The call machines (src/fsm/session.ts): the four RFC 2661 §7.4/§7.5 happy paths, CDN and
// local close in every state of every kind, the FSM-error codes per version, and totality.

import { describe, expect, test } from 'vitest';
import {
  SESSION_EVENTS,
  SESSION_KINDS,
  SESSION_STATES,
  SESSION_TRANSITIONS,
  type SessionEvent,
  type SessionKind,
  type SessionState,
  stepSession,
} from '../../src/fsm/session.js';

const v2 = { version: 2 } as const;

function run(kind: SessionKind, events: SessionEvent[]): [SessionState, string[]] {
  let state: SessionState = 'idle';
  const log: string[] = [];
  for (const event of events) {
    const s = stepSession(kind, state, { event }, v2);
    state = s.state;
    for (const a of s.actions) log.push(a.type === 'send' ? `send-${a.message}` : a.type);
  }
  return [state, log];
}

// Live states each kind can be in (those with rows).
function liveStates(kind: SessionKind): SessionState[] {
  return SESSION_STATES.filter(
    (s) => s !== 'idle' && s !== 'closed' && Object.keys(SESSION_TRANSITIONS[kind][s]).length > 0,
  );
}

describe('happy paths', () => {
  test('RFC 2661 §7.4.1 LAC incoming: open, tunnel-open → ICRQ, ICRP → ICCN + up', () => {
    expect(run('lac-ic', ['open', 'tunnel-open', 'recv-ICRP-ok'])).toEqual([
      'established',
      ['send-ICRQ', 'send-ICCN', 'session-up'],
    ]);
  });
  test('RFC 2661 §7.4.2 LNS incoming: ICRQ → ICRP, ICCN → up', () => {
    expect(run('lns-ic', ['recv-ICRQ-ok', 'recv-ICCN-ok'])).toEqual([
      'established',
      ['send-ICRP', 'session-up'],
    ]);
  });
  test('RFC 2661 §7.5.2 LNS outgoing: open, tunnel-open → OCRQ, OCRP, OCCN → up', () => {
    expect(run('lns-oc', ['open', 'tunnel-open', 'recv-OCRP-ok', 'recv-OCCN-ok'])).toEqual([
      'established',
      ['send-OCRQ', 'session-up'],
    ]);
  });
  test('RFC 2661 §7.5.1 LAC outgoing: OCRQ → OCRP, answer → OCCN + up', () => {
    expect(run('lac-oc', ['recv-OCRQ-ok', 'answer'])).toEqual([
      'established',
      ['send-OCRP', 'send-OCCN', 'session-up'],
    ]);
  });
  test('refusing a request sends CDN with the verdict and no session-down', () => {
    const s = stepSession(
      'lns-ic',
      'idle',
      { event: 'recv-ICRQ-bad', codes: { resultCode: 4 } },
      v2,
    );
    expect(s).toEqual({
      state: 'closed',
      actions: [{ type: 'send', message: 'CDN', codes: { resultCode: 4 } }],
    });
  });
});

describe('CDN in every state (RFC 2661 §5.6)', () => {
  for (const kind of SESSION_KINDS) {
    for (const state of liveStates(kind)) {
      test(`${kind} ${state}: received CDN cleans up (by peer); local close sends CDN Result 3 unless still waiting for the tunnel`, () => {
        const peer = stepSession(kind, state, { event: 'recv-CDN', codes: { resultCode: 1 } }, v2);
        if (state === 'wait-tunnel') {
          // The peer cannot know a call that waits for the tunnel: an FSM error (no CDN row).
          expect(peer.state).toBe('closed');
        } else {
          expect(peer).toEqual({
            state: 'closed',
            actions: [{ type: 'session-down', reason: { by: 'peer', resultCode: 1 } }],
          });
        }
        const local = stepSession(kind, state, { event: 'close' }, v2);
        expect(local.state).toBe('closed');
        const sends = local.actions.filter((a) => a.type === 'send');
        expect(sends).toEqual(
          state === 'wait-tunnel'
            ? []
            : [{ type: 'send', message: 'CDN', codes: { resultCode: 3 } }],
        );
        expect(local.actions.at(-1)).toMatchObject({
          type: 'session-down',
          reason: { by: 'local' },
        });
        const down = stepSession(kind, state, { event: 'tunnel-down', by: 'timeout' }, v2);
        expect(down).toEqual({
          state: 'closed',
          actions: [{ type: 'session-down', reason: { by: 'timeout' } }],
        });
      });
    }
  }
});

describe('FSM errors and totality', () => {
  test('a message out of sequence: CDN Result 2 / Error 6 in v2, Result 16 in v3', () => {
    const a = stepSession('lac-ic', 'established', { event: 'recv-ICRQ-ok' }, v2);
    expect(a.actions[0]).toMatchObject({
      type: 'send',
      message: 'CDN',
      codes: { resultCode: 2, errorCode: 6 },
    });
    const b = stepSession('lac-ic', 'established', { event: 'recv-ICRQ-ok' }, { version: 3 });
    expect(b.actions[0]).toMatchObject({ codes: { resultCode: 16 } });
    expect(a.actions[1]).toMatchObject({
      type: 'session-down',
      reason: { by: 'error', resultCode: 2 },
    });
  });

  test('RFC 2661 §7.4.1: LAC wait-reply + ICCN cleans up without CDN', () => {
    expect(run('lac-ic', ['open', 'tunnel-open', 'recv-ICCN-ok'])).toEqual([
      'closed',
      ['send-ICRQ', 'session-down'],
    ]);
  });

  test('every kind × state × event steps without throwing; closed absorbs everything', () => {
    for (const kind of SESSION_KINDS) {
      for (const state of SESSION_STATES) {
        for (const event of SESSION_EVENTS) {
          const s = stepSession(kind, state, { event }, v2);
          if (state === 'closed') expect(s).toEqual({ state: 'closed', actions: [] });
          const downs = s.actions.filter((a) => a.type === 'session-down').length;
          expect(downs).toBeLessThanOrEqual(1);
          if (downs === 1) expect(s.state).toBe('closed');
        }
      }
    }
  });
});
