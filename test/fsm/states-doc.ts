// Renders docs/states.md (Mermaid state diagrams) from the transition tables in src/fsm and
// src/ppp/automaton.ts, so the diagrams cannot drift from the code. Used by
// test/fsm/states-doc.test.ts (which fails when the committed file is stale) and by
// scripts/gen-states.mjs (which rewrites it).

import {
  SESSION_EVENTS,
  SESSION_KINDS,
  SESSION_STATES,
  SESSION_TRANSITIONS,
  type SessionKind,
} from '../../src/fsm/session.js';
import { TUNNEL_EVENTS, TUNNEL_STATES, TUNNEL_TRANSITIONS } from '../../src/fsm/tunnel.js';
import type { Transition } from '../../src/fsm/types.js';
import { PPP_FSM_EVENTS, PPP_STATES, PPP_TRANSITIONS } from '../../src/ppp/automaton.js';

const id = (state: string) => state.replace(/-/g, '_');

function diagram(
  states: readonly string[],
  events: readonly string[],
  table: Record<string, Partial<Record<string, Transition<string, string>>>>,
  start: string,
): string[] {
  const lines = ['```mermaid', 'stateDiagram-v2'];
  const used = new Set<string>([start]);
  const edges: string[] = [];
  for (const s of states) {
    for (const e of events) {
      const row = table[s]?.[e];
      if (row === undefined) continue;
      used.add(s);
      used.add(row.next);
      const actions = row.actions.length === 0 ? '' : ` / ${row.actions.join(', ')}`;
      const down = row.down === undefined ? '' : ` (by ${row.down})`;
      edges.push(`  ${id(s)} --> ${id(row.next)} : ${e}${actions}${down}`);
    }
  }
  for (const s of states) if (used.has(s)) lines.push(`  state "${s}" as ${id(s)}`);
  lines.push(`  [*] --> ${id(start)}`, ...edges, '```');
  return lines;
}

const KIND_TITLES: Record<SessionKind, string> = {
  'lac-ic': 'LAC incoming call (RFC 2661 §7.4.1)',
  'lns-ic': 'LNS incoming call (RFC 2661 §7.4.2)',
  'lns-oc': 'LNS outgoing call (RFC 2661 §7.5.2)',
  'lac-oc': 'LAC outgoing call (RFC 2661 §7.5.1)',
};

/** The full text of docs/states.md. */
export function renderStatesDoc(): string {
  const out = [
    '# State machines',
    '',
    '<!-- Generated from src/fsm/tunnel.ts, src/fsm/session.ts and src/ppp/automaton.ts by',
    '     scripts/gen-states.mjs; test/fsm/states-doc.test.ts fails when this file is stale.',
    '     Do not edit by hand. -->',
    '',
    'Each edge is `event / actions (by who ends it)`. Rows not drawn follow the default rules in',
    'the file headers: a received message with no row is an FSM error (tunnel: StopCCN Result 7;',
    'call: CDN Result 2 / Error 6 in v2, Result 16 in v3); in `closing` and `closed` everything is',
    'ignored (the reliable channel still acknowledges); other local events are no-ops.',
    '',
    '## Control connection (RFC 2661 §7.2.1, §5.7)',
    '',
    ...diagram(TUNNEL_STATES, TUNNEL_EVENTS, TUNNEL_TRANSITIONS, 'idle'),
  ];
  for (const kind of SESSION_KINDS) {
    out.push(
      '',
      `## ${KIND_TITLES[kind]}: \`${kind}\``,
      '',
      ...diagram(SESSION_STATES, SESSION_EVENTS, SESSION_TRANSITIONS[kind], 'idle'),
    );
  }
  out.push(
    '',
    '## PPP option negotiation (RFC 1661 §4.1): LCP, IPCP, IPv6CP',
    '',
    'The automaton of `l2tp-core/ppp` (`PPP_TRANSITIONS`), one per protocol. Each edge is',
    '`event / actions` in RFC 1661’s names (§4.3 events, §4.4 actions). A row not drawn is the',
    'table’s `-`: an illegal event, no transition, counted in `stats().illegal`. The footnote [p] is',
    'the `passive` option; the restart option [r] is not implemented.',
    '',
    ...diagram(PPP_STATES, PPP_FSM_EVENTS, PPP_TRANSITIONS, 'initial'),
  );
  return `${out.join('\n')}\n`;
}
