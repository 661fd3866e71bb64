// The control-connection machine (src/fsm/tunnel.ts): RFC 2661 §7.2.1 row by row, the default
// rules, and totality (every state × event steps without throwing).

import { describe, expect, test } from 'vitest';
import {
  stepTunnel,
  TUNNEL_EVENTS,
  TUNNEL_STATES,
  type TunnelEvent,
  type TunnelState,
} from '../../src/fsm/tunnel.js';

const types = (state: TunnelState, event: TunnelEvent, codes?: { resultCode: number }) => {
  const s = stepTunnel(state, { event, codes });
  return [s.state, s.actions.map((a) => (a.type === 'send' ? `send-${a.message}` : a.type))];
};

describe('RFC 2661 §7.2.1 control connection establishment table', () => {
  test.each([
    ['idle', 'open', 'wait-ctl-reply', ['send-SCCRQ']],
    ['idle', 'recv-SCCRQ-ok', 'wait-ctl-conn', ['send-SCCRP']],
    ['idle', 'recv-SCCRQ-bad', 'closing', ['send-StopCCN', 'tunnel-down', 'hold']],
    ['idle', 'recv-SCCRP-ok', 'closing', ['send-StopCCN', 'tunnel-down', 'hold']],
    ['idle', 'recv-SCCCN-ok', 'closed', ['tunnel-down', 'discard']],
    ['wait-ctl-reply', 'recv-SCCRP-ok', 'established', ['send-SCCCN', 'tunnel-up']],
    ['wait-ctl-reply', 'recv-SCCRP-bad', 'closing', ['send-StopCCN', 'tunnel-down', 'hold']],
    ['wait-ctl-reply', 'lose-tie', 'closed', ['tunnel-down', 'discard']],
    ['wait-ctl-reply', 'recv-SCCCN-ok', 'closing', ['send-StopCCN', 'tunnel-down', 'hold']],
    ['wait-ctl-conn', 'recv-SCCCN-ok', 'established', ['tunnel-up']],
    ['wait-ctl-conn', 'recv-SCCCN-bad', 'closing', ['send-StopCCN', 'tunnel-down', 'hold']],
    ['wait-ctl-conn', 'recv-SCCRP-ok', 'closing', ['send-StopCCN', 'tunnel-down', 'hold']],
    ['wait-ctl-conn', 'recv-SCCRQ-ok', 'closing', ['send-StopCCN', 'tunnel-down', 'hold']],
    ['established', 'close', 'closing', ['send-StopCCN', 'tunnel-down', 'hold']],
    ['established', 'recv-SCCRQ-ok', 'closing', ['send-StopCCN', 'tunnel-down', 'hold']],
    ['established', 'recv-SCCRP-ok', 'closing', ['send-StopCCN', 'tunnel-down', 'hold']],
    ['established', 'recv-SCCCN-ok', 'closing', ['send-StopCCN', 'tunnel-down', 'hold']],
    ['established', 'recv-session', 'established', ['route-session']],
    ['established', 'recv-HELLO', 'established', []],
    ['wait-ctl-reply', 'recv-StopCCN', 'closing', ['tunnel-down', 'hold']],
    ['wait-ctl-conn', 'recv-StopCCN', 'closing', ['tunnel-down', 'hold']],
    ['established', 'recv-StopCCN', 'closing', ['tunnel-down', 'hold']],
    ['idle', 'recv-StopCCN', 'closed', ['tunnel-down', 'discard']],
    ['established', 'channel-failed', 'closed', ['tunnel-down', 'discard']],
    ['closing', 'channel-closed', 'closed', ['release']],
    ['closing', 'channel-failed', 'closed', ['release']],
  ] as const)('%s + %s → %s', (state, event, next, actions) => {
    expect(types(state, event)).toEqual([next, actions]);
  });

  test('StopCCN codes: Result 1 on a local close, 7 for a message out of sequence, else the verdict', () => {
    const codesOf = (state: TunnelState, event: TunnelEvent, codes?: { resultCode: number }) => {
      const a = stepTunnel(state, { event, codes }).actions[0];
      return a?.type === 'send' && a.message === 'StopCCN' ? a.codes : undefined;
    };
    expect(codesOf('established', 'close')).toEqual({ resultCode: 1 });
    expect(codesOf('established', 'recv-SCCRQ-ok')).toMatchObject({ resultCode: 7 });
    expect(codesOf('idle', 'recv-SCCRP-ok')).toMatchObject({ resultCode: 7 });
    expect(codesOf('wait-ctl-reply', 'recv-SCCRP-bad', { resultCode: 4 })).toEqual({
      resultCode: 4,
    });
  });

  test('tunnel-down reasons: peer codes for a received StopCCN, none for timeout and tie-breaker', () => {
    const down = (state: TunnelState, event: TunnelEvent, codes?: { resultCode: number }) =>
      stepTunnel(state, { event, codes }).actions.find((a) => a.type === 'tunnel-down');
    expect(down('established', 'recv-StopCCN', { resultCode: 6 })).toEqual({
      type: 'tunnel-down',
      reason: { by: 'peer', resultCode: 6 },
    });
    expect(down('established', 'channel-failed')).toEqual({
      type: 'tunnel-down',
      reason: { by: 'timeout' },
    });
    expect(down('wait-ctl-reply', 'lose-tie')).toEqual({
      type: 'tunnel-down',
      reason: { by: 'tie-breaker' },
    });
    expect(down('established', 'close')).toEqual({
      type: 'tunnel-down',
      reason: { by: 'local', resultCode: 1 },
    });
  });
});

describe('default rules and totality', () => {
  test('every state × event steps without throwing; closing/closed only leave through the channel', () => {
    for (const state of TUNNEL_STATES) {
      for (const event of TUNNEL_EVENTS) {
        const s = stepTunnel(state, { event });
        if (state === 'closed') expect(s).toEqual({ state: 'closed', actions: [] });
        if (state === 'closing' && !event.startsWith('channel-')) {
          expect(s).toEqual({ state: 'closing', actions: [] });
        }
        // At most one tunnel-down per step, and only when leaving the live states.
        const downs = s.actions.filter((a) => a.type === 'tunnel-down').length;
        expect(downs).toBeLessThanOrEqual(1);
        if (downs === 1) expect(['closing', 'closed']).toContain(s.state);
      }
    }
  });

  test('local events without a row are no-ops (open when not idle, close when closed)', () => {
    expect(stepTunnel('established', { event: 'open' })).toEqual({
      state: 'established',
      actions: [],
    });
    expect(stepTunnel('wait-ctl-conn', { event: 'lose-tie' })).toEqual({
      state: 'wait-ctl-conn',
      actions: [],
    });
  });
});
