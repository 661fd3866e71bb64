// src/ppp/automaton.ts: the transition table read against RFC 1661 §4.1's own table (pasted from
// the RFC text below and parsed), then the behaviour around it: the Restart timer and counters of
// §4.6 (Max-Configure, Max-Terminate, Max-Failure, the [p] option), the reply rules of §5.2–§5.4
// (Identifier and content checks, Nak'd values taken, Rejected options never sent again), and
// the Terminate/Code-Reject rules of §5.5–§5.6.

import { describe, expect, test } from 'vitest';
import {
  ACK,
  nak,
  type OptionNegotiator,
  type OptionVerdict,
  PPP_FSM_ACTIONS,
  PPP_FSM_EVENTS,
  PPP_STATES,
  PPP_TRANSITIONS,
  PppAutomaton,
  type PppFsmEvent,
  REJECT,
} from '../../src/ppp/automaton.js';
import {
  controlFrame,
  decodeControl,
  decodeFrame,
  decodeOptions,
  defaultFraming,
  encodeControl,
  encodeOptions,
  type PppOption,
} from '../../src/ppp/frame.js';
import type { IpcpValues, PppOutput, PppReason } from '../../src/ppp/types.js';
import { hex } from '../helpers/hex.js';
import { packetStation, Wire } from './helpers.js';

// RFC 1661 §4.1, verbatim.
const RFC_TABLE_LEFT = `
 Up   |    2     irc,scr/6     -         -         -         -
 Down |    -         -         0       tls/1       0         1
 Open |  tls/1       1     irc,scr/6     3r        5r        5r
 Close|    0       tlf/0       2         2         4         4
  TO+ |    -         -         -         -       str/4     str/5
  TO- |    -         -         -         -       tlf/2     tlf/3
 RCR+ |    -         -       sta/2 irc,scr,sca/8   4         5
 RCR- |    -         -       sta/2 irc,scr,scn/6   4         5
 RCA  |    -         -       sta/2     sta/3       4         5
 RCN  |    -         -       sta/2     sta/3       4         5
 RTR  |    -         -       sta/2     sta/3     sta/4     sta/5
 RTA  |    -         -         2         3       tlf/2     tlf/3
 RUC  |    -         -       scj/2     scj/3     scj/4     scj/5
 RXJ+ |    -         -         2         3         4         5
 RXJ- |    -         -       tlf/2     tlf/3     tlf/2     tlf/3
 RXR  |    -         -         2         3         4         5
`;
const RFC_TABLE_RIGHT = `
 Up   |    -         -         -           -
 Down |    1         1         1         tld/1
 Open |    6         7         8           9r
 Close|irc,str/4 irc,str/4 irc,str/4 tld,irc,str/4
  TO+ |  scr/6     scr/6     scr/8         -
  TO- |  tlf/3p    tlf/3p    tlf/3p        -
 RCR+ |  sca/8   sca,tlu/9   sca/8   tld,scr,sca/8
 RCR- |  scn/6     scn/7     scn/6   tld,scr,scn/6
 RCA  |  irc/7     scr/6x  irc,tlu/9   tld,scr/6x
 RCN  |irc,scr/6   scr/6x  irc,scr/8   tld,scr/6x
 RTR  |  sta/6     sta/6     sta/6   tld,zrc,sta/5
 RTA  |    6         6         8       tld,scr/6
 RUC  |  scj/6     scj/7     scj/8       scj/9
 RXJ+ |    6         6         8           9
 RXJ- |  tlf/3     tlf/3     tlf/3   tld,irc,str/5
 RXR  |    6         7         8         ser/9
`;

type Cell = { next: string; actions: string[] } | undefined;

/** The RFC's cells by event name (lower case) and state index. */
function parseRfcTable(): Map<string, Cell[]> {
  const rows = new Map<string, Cell[]>();
  for (const [text, first] of [
    [RFC_TABLE_LEFT, 0],
    [RFC_TABLE_RIGHT, 6],
  ] as const) {
    for (const line of text.trim().split('\n')) {
      const [name, cells] = line.split('|') as [string, string];
      const event = name.trim().toLowerCase();
      const row = rows.get(event) ?? [];
      cells
        .trim()
        .split(/\s+/)
        .forEach((cell, k) => {
          if (cell === '-') {
            row[first + k] = undefined;
            return;
          }
          const slash = cell.lastIndexOf('/');
          const actions = slash < 0 ? [] : cell.slice(0, slash).split(',');
          const target = (slash < 0 ? cell : cell.slice(slash + 1)).replace(/[prx]$/, '');
          row[first + k] = { next: PPP_STATES[Number(target)] as string, actions };
        });
      rows.set(event, row);
    }
  }
  return rows;
}

describe('RFC 1661 §4.1 state transition table', () => {
  const rfc = parseRfcTable();
  test('the RFC table names exactly our events, ten states each', () => {
    expect([...rfc.keys()].sort()).toEqual([...PPP_FSM_EVENTS].sort());
    for (const cells of rfc.values()) expect(cells).toHaveLength(10);
  });
  for (const event of PPP_FSM_EVENTS) {
    test(`row ${event.toUpperCase()}: every state as the RFC says`, () => {
      const cells = rfc.get(event) as Cell[];
      PPP_STATES.forEach((state, i) => {
        const ours = PPP_TRANSITIONS[state][event];
        const theirs = cells[i];
        expect(
          ours === undefined ? undefined : { next: ours.next, actions: [...ours.actions] },
          `${state} × ${event}`,
        ).toEqual(theirs);
      });
    });
  }
  test('only the actions of §4.4 are used', () => {
    for (const s of PPP_STATES) {
      for (const row of Object.values(PPP_TRANSITIONS[s])) {
        for (const a of row?.actions ?? []) expect(PPP_FSM_ACTIONS).toContain(a);
      }
    }
  });
});

// A toy protocol (run as 'ipcp' on 0x8021): option 1 holds one octet we want the peer to accept;
// option 2 is a flag. The peer's option 1 is acceptable when `accept` says so, else Nak'd with
// `suggest`.
class Toy implements OptionNegotiator<'ipcp'> {
  readonly name = 'ipcp' as const;
  readonly protocol = 0x8021;
  wish = 7;
  flag = true;
  accept: (v: number) => boolean = () => true;
  suggest = 9;
  takeNak = true;
  fail: PppReason | undefined;
  readonly log: string[] = [];

  reset(): void {
    this.log.push('reset');
  }
  request(): readonly PppOption[] {
    const r: PppOption[] = [{ type: 1, data: Uint8Array.of(this.wish) }];
    if (this.flag) r.push({ type: 2, data: new Uint8Array(0) });
    return r;
  }
  judge(o: PppOption): OptionVerdict {
    if (o.type === 2) return ACK;
    if (o.type !== 1) return REJECT;
    return this.accept(o.data[0] as number)
      ? ACK
      : nak({ type: 1, data: Uint8Array.of(this.suggest) });
  }
  missing(): readonly PppOption[] {
    return [];
  }
  peerAcked(): void {
    this.log.push('peer-acked');
  }
  acked(): void {
    this.log.push('acked');
  }
  nakked(o: PppOption, requested: boolean, failing: boolean): void {
    this.log.push(
      `nak ${o.type}=${o.data[0]} ${requested ? 'requested' : 'appended'}${failing ? ' failing' : ''}`,
    );
    if (failing) {
      this.rejected(o);
      return;
    }
    if (o.type === 1 && this.takeNak) this.wish = o.data[0] as number;
  }
  rejected(o: PppOption): void {
    this.log.push(`rej ${o.type}`);
    if (o.type === 2) this.flag = false;
  }
  failure(): PppReason | undefined {
    const f = this.fail;
    this.fail = undefined;
    return f;
  }
  values(): IpcpValues {
    return { localAddress: `toy ${this.wish}` } as unknown as IpcpValues;
  }
}

function toy(): { neg: Toy; fsm: PppAutomaton<'ipcp'> } {
  const neg = new Toy();
  return { neg, fsm: new PppAutomaton(neg, defaultFraming()) };
}

/** The control packets among `outputs`, as [code, id, options]. */
function sent(outputs: readonly PppOutput[]): [number, number, Uint8Array][] {
  const r: [number, number, Uint8Array][] = [];
  for (const o of outputs) {
    if (o.type !== 'transmit') continue;
    const p = decodeControl(decodeFrame(o.frame).information);
    r.push([p.code, p.id, p.data]);
  }
  return r;
}

function events(outputs: readonly PppOutput[]): string[] {
  return outputs.flatMap((o) =>
    o.type === 'event'
      ? [
          o.event.type === 'down' || o.event.type === 'finished'
            ? `${o.event.type}:${o.event.reason.code}`
            : o.event.type,
        ]
      : [],
  );
}

function packet(code: number, id: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  return encodeControl(code, id, data);
}

function opts(...o: PppOption[]): Uint8Array {
  return encodeOptions(o);
}

/** Two toys wired together and opened. */
function openedPair() {
  const a = toy();
  const b = toy();
  const w = new Wire([packetStation(a.fsm), packetStation(b.fsm)]);
  for (const [i, x] of [a, b].entries()) {
    w.deliver(i as 0 | 1, x.fsm.open(0));
    w.deliver(i as 0 | 1, x.fsm.up(0));
  }
  w.pump();
  expect([a.fsm.state, b.fsm.state]).toEqual(['opened', 'opened']);
  return { a, b, w };
}

describe('RFC 1661 §4.6 Restart timer and counters', () => {
  test('Max-Configure: 10 Configure-Requests 3 s apart, same Identifier, then TO- (no-response)', () => {
    const { fsm } = toy();
    fsm.open(0);
    const first = sent(fsm.up(0));
    expect(first).toHaveLength(1);
    const all = [...first];
    let finished: string[] = [];
    for (let t = 3000; t <= 30_000; t += 3000) {
      expect(fsm.nextDeadline()).toBe(t);
      expect(fsm.handleTimeout(t - 1)).toEqual([]); // early: nothing
      const out = fsm.handleTimeout(t);
      all.push(...sent(out));
      finished = events(out);
    }
    expect(all).toHaveLength(10);
    expect(new Set(all.map(([, id]) => id)).size).toBe(1);
    expect(finished).toEqual(['finished:no-response']);
    expect(fsm.state).toBe('stopped');
    expect(fsm.nextDeadline()).toBeUndefined();
  });

  test('restartMs and maxConfigure are configurable', () => {
    const fsm = new PppAutomaton(new Toy(), defaultFraming(), { restartMs: 500, maxConfigure: 2 });
    fsm.open(0);
    fsm.up(0);
    expect(fsm.nextDeadline()).toBe(500);
    expect(sent(fsm.handleTimeout(500))).toHaveLength(1);
    expect(events(fsm.handleTimeout(1000))).toEqual(['finished:no-response']);
  });

  test('[p] passive: no This-Layer-Finished after Max-Configure, waits in Stopped', () => {
    const fsm = new PppAutomaton(new Toy(), defaultFraming(), { maxConfigure: 1, passive: true });
    fsm.open(0);
    fsm.up(0);
    expect(events(fsm.handleTimeout(3000))).toEqual([]);
    expect(fsm.state).toBe('stopped');
  });

  test('Max-Terminate: two Terminate-Requests, then Closed with the close reason', () => {
    const { a, w } = openedPair();
    w.drop = () => true;
    const out = a.fsm.close(100, { by: 'local', code: 'admin-close', message: 'bye' });
    expect(events(out)).toEqual(['down:admin-close']);
    const [tr] = sent(out);
    expect(tr?.[0]).toBe(5);
    expect(new TextDecoder().decode(tr?.[2])).toBe('bye');
    const again = sent(a.fsm.handleTimeout(3100));
    expect(again).toEqual([tr]);
    expect(events(a.fsm.handleTimeout(6100))).toEqual(['finished:admin-close']);
    expect(a.fsm.state).toBe('closed');
  });

  test('Terminate-Request in Opened: Terminate-Ack, down (peer), Stopping for one Restart period', () => {
    const { fsm } = openedPair().b;
    const out = fsm.handlePacket(packet(5, 0x33, new TextEncoder().encode('User request')), 50);
    expect(sent(out)).toEqual([[6, 0x33, new Uint8Array(0)]]);
    expect(out).toContainEqual({
      type: 'event',
      event: {
        type: 'down',
        protocol: 'ipcp',
        reason: { by: 'peer', code: 'peer-terminate', message: 'User request' },
      },
    });
    expect(fsm.state).toBe('stopping');
    expect(fsm.nextDeadline()).toBe(3050); // zrc: one Restart period
    expect(events(fsm.handleTimeout(3050))).toEqual(['finished:peer-terminate']);
    expect(fsm.state).toBe('stopped');
  });
});

describe('RFC 1661 §5.2–§5.4 replies to our Configure-Request', () => {
  function reqSent() {
    const t = toy();
    t.fsm.open(0);
    const [[, id, data]] = sent(t.fsm.up(0)) as [[number, number, Uint8Array]];
    return { ...t, id, data };
  }

  test('Configure-Ack with the wrong Identifier or different options: discarded', () => {
    const { fsm, id, data } = reqSent();
    fsm.handlePacket(packet(2, (id + 1) & 0xff, data), 10);
    fsm.handlePacket(packet(2, id, opts({ type: 1, data: Uint8Array.of(8) })), 10);
    expect(fsm.state).toBe('req-sent');
    expect(fsm.stats().discarded).toBe(2);
    fsm.handlePacket(packet(2, id, data), 10);
    expect(fsm.state).toBe('ack-rcvd');
    fsm.handlePacket(packet(2, id, data), 11); // a duplicate: the request was answered
    expect(fsm.state).toBe('ack-rcvd');
    expect(fsm.stats().discarded).toBe(3);
  });

  test('TO+ in Ack-Rcvd resends the request (same Identifier); the peer’s next Ack counts', () => {
    const { fsm, id, data } = reqSent();
    fsm.handlePacket(packet(2, id, data), 10);
    expect(fsm.state).toBe('ack-rcvd');
    const again = sent(fsm.handleTimeout(3000));
    expect(again).toEqual([[1, id, data]]);
    expect(fsm.state).toBe('req-sent');
    fsm.handlePacket(packet(2, id, data), 3010);
    expect(fsm.state).toBe('ack-rcvd');
  });

  test('Opened: a resent copy of the request we acknowledged gets the same Ack, no renegotiation', () => {
    const { a, w } = openedPair();
    const req = w.logs[1].sent.find((f) => decodeFrame(f).information[0] === 1) as Uint8Array;
    const out = a.fsm.handlePacket(decodeFrame(req).information, 50);
    expect(events(out)).toEqual([]);
    const [[code, id]] = sent(out) as [[number, number, Uint8Array]];
    expect([code, id]).toEqual([2, decodeFrame(req).information[1]]);
    expect(a.fsm.state).toBe('opened');
    // The same options under a new Identifier: the peer restarted, so we renegotiate.
    const info = Uint8Array.from(decodeFrame(req).information);
    info[1] = (info[1] as number) + 100;
    expect(events(a.fsm.handlePacket(info, 60))).toEqual(['down:renegotiate']);
  });

  test('a duplicated Configure-Ack reaching an Opened link does not restart it', () => {
    const { a, w } = openedPair();
    const ackFrame = w.logs[1].sent.find((f) => decodeFrame(f).information[0] === 2) as Uint8Array;
    expect(events(a.fsm.handlePacket(decodeFrame(ackFrame).information, 99))).toEqual([]);
    expect(a.fsm.state).toBe('opened');
  });

  test('Configure-Nak: the suggestion is taken, the next request has a new Identifier', () => {
    const { fsm, neg, id } = reqSent();
    const out = fsm.handlePacket(packet(3, id, opts({ type: 1, data: Uint8Array.of(9) })), 10);
    const [[code, id2, data]] = sent(out) as [[number, number, Uint8Array]];
    expect(code).toBe(1);
    expect(id2).not.toBe(id);
    expect(data).toEqual(hex`01 03 09  02 02`);
    expect(neg.log).toContain('nak 1=9 requested');
  });

  test('Configure-Reject: the option is not sent again, even after later Naks', () => {
    const { fsm, id } = reqSent();
    let out = fsm.handlePacket(packet(4, id, opts({ type: 2, data: new Uint8Array(0) })), 10);
    let [[, id2, data]] = sent(out) as [[number, number, Uint8Array]];
    expect(data).toEqual(hex`01 03 07`);
    out = fsm.handlePacket(packet(3, id2, opts({ type: 1, data: Uint8Array.of(5) })), 20);
    [[, id2, data]] = sent(out) as [[number, number, Uint8Array]];
    expect(data).toEqual(hex`01 03 05`);
  });

  test('Configure-Reject listing an option we did not send, or a changed one: discarded', () => {
    const { fsm, id } = reqSent();
    fsm.handlePacket(packet(4, id, opts({ type: 3, data: new Uint8Array(0) })), 10);
    fsm.handlePacket(packet(4, id, opts({ type: 1, data: Uint8Array.of(8) })), 10);
    // Out of order is not a subset "in order" either.
    fsm.handlePacket(
      packet(
        4,
        id,
        opts({ type: 2, data: new Uint8Array(0) }, { type: 1, data: Uint8Array.of(7) }),
      ),
      10,
    );
    expect(fsm.stats().discarded).toBe(3);
    expect(fsm.state).toBe('req-sent');
  });

  test('after Max-Failure Naks received, the peer’s suggestions are treated as Rejects', () => {
    const { fsm, neg } = reqSent();
    let id = -1;
    const first = sent(fsm.handleTimeout(3000));
    id = first[0]?.[1] ?? -1;
    for (let k = 1; k <= 5; k++) {
      const out = fsm.handlePacket(packet(3, id, opts({ type: 1, data: Uint8Array.of(k) })), k);
      id = sent(out)[0]?.[1] ?? -1;
    }
    expect(neg.log.filter((l) => l.startsWith('nak'))).toEqual([
      'nak 1=1 requested',
      'nak 1=2 requested',
      'nak 1=3 requested',
      'nak 1=4 requested',
      'nak 1=5 requested failing',
    ]);
  });
});

describe('RFC 1661 §4.6 Max-Failure on our side: Naks turn into Rejects', () => {
  test('five Configure-Naks, then the same request is Rejected', () => {
    const { fsm, neg } = toy();
    neg.accept = () => false;
    fsm.open(0);
    fsm.up(0);
    const codes: number[] = [];
    for (let k = 0; k < 7; k++) {
      const out = fsm.handlePacket(packet(1, k, opts({ type: 1, data: Uint8Array.of(1) })), k);
      codes.push(...sent(out).map(([c]) => c));
    }
    expect(codes).toEqual([3, 3, 3, 3, 3, 4, 4]);
  });

  test('a Configure-Ack sent resets the count', () => {
    const { fsm, neg } = toy();
    let ok = false;
    neg.accept = () => ok;
    fsm.open(0);
    fsm.up(0);
    const req = (id: number) =>
      sent(fsm.handlePacket(packet(1, id, opts({ type: 1, data: Uint8Array.of(1) })), id)).map(
        ([c]) => c,
      );
    for (let k = 0; k < 4; k++) req(k);
    ok = true;
    expect(req(10)).toEqual([2]);
    ok = false;
    expect([req(11), req(12), req(13), req(14), req(15), req(16)].flat()).toEqual([
      3, 3, 3, 3, 3, 4,
    ]);
  });

  test('our Configure-Ack copies the request’s options unchanged, and duplicates are rejected', () => {
    const { fsm } = toy();
    fsm.open(0);
    fsm.up(0);
    const data = hex`01 03 04  02 02`;
    expect(sent(fsm.handlePacket(packet(1, 9, data), 1))).toEqual([[2, 9, data]]);
    const dup = hex`01 03 04  01 03 05`;
    expect(sent(fsm.handlePacket(packet(1, 10, dup), 2))).toEqual([[4, 10, hex`01 03 05`]]);
  });
});

describe('RFC 1661 §5.5–§5.7: Terminate, Code-Reject', () => {
  test('Code-Reject of Configure-Request is catastrophic (RXJ-): Stopped, finished', () => {
    const { fsm } = toy();
    fsm.open(0);
    fsm.up(0);
    const out = fsm.handlePacket(packet(7, 1, hex`01 01 00 04`), 5);
    expect(events(out)).toEqual(['finished:code-rejected']);
    expect(fsm.state).toBe('stopped');
  });

  test('Code-Reject of an extended code is permitted (RXJ+)', () => {
    const { b } = openedPair();
    expect(events(b.fsm.handlePacket(packet(7, 1, hex`0c 01 00 04`), 5))).toEqual([]);
    expect(b.fsm.state).toBe('opened');
  });

  test('an unknown code is Code-Rejected with a copy of the packet, cut to the peer’s MRU', () => {
    const framing = defaultFraming();
    framing.mtu = 10;
    const fsm = new PppAutomaton(new Toy(), framing);
    fsm.open(0);
    fsm.up(0);
    const odd = packet(9, 4, hex`01 02 03 04 05 06 07 08`); // Echo-Request: not an IPCP code
    const [[code, , data]] = sent(fsm.handlePacket(odd, 1)) as [[number, number, Uint8Array]];
    expect(code).toBe(7);
    expect(data).toEqual(odd.subarray(0, 6));
    expect(fsm.state).toBe('req-sent');
  });

  test('Closed answers anything but Terminate-Ack with Terminate-Ack; Initial ignores it all', () => {
    const { fsm } = toy();
    expect(fsm.handlePacket(packet(1, 3, new Uint8Array(0)), 0)).toEqual([]);
    expect(fsm.stats().illegal).toBe(1);
    fsm.up(0); // Initial → Closed
    expect(sent(fsm.handlePacket(packet(1, 3, new Uint8Array(0)), 0))).toEqual([
      [6, 3, new Uint8Array(0)],
    ]);
    expect(sent(fsm.handlePacket(packet(6, 3, new Uint8Array(0)), 0))).toEqual([]);
  });

  test('invalid packets are discarded without touching the automaton', () => {
    const { fsm } = toy();
    fsm.open(0);
    fsm.up(0);
    for (const bad of [hex`01`, hex`01 01 00 09 00`, hex`01 01 00 02`, hex`01 01 00 05 07`]) {
      expect(fsm.handlePacket(bad, 1)).toEqual([]);
    }
    expect(fsm.stats().discarded).toBe(4);
    expect(fsm.state).toBe('req-sent');
  });
});

describe('negotiation between two automata', () => {
  test('Open and Up on both: Opened both, up events with values, no timers left', () => {
    const { a, b, w } = openedPair();
    expect(w.events(0, 'up')).toHaveLength(1);
    expect(w.events(1, 'up')).toHaveLength(1);
    expect(a.fsm.values).toEqual({ localAddress: 'toy 7' });
    expect([a.fsm.nextDeadline(), b.fsm.nextDeadline()]).toEqual([undefined, undefined]);
  });

  test('a Configure-Request in Opened renegotiates (down: renegotiate), and opens again', () => {
    const { a, b, w } = openedPair();
    w.deliver(1, b.fsm.down(10));
    w.deliver(1, b.fsm.up(10));
    w.pump();
    expect(w.events(0, 'down')).toEqual([
      { type: 'down', protocol: 'ipcp', reason: { by: 'peer', code: 'renegotiate' } },
    ]);
    expect([a.fsm.state, b.fsm.state]).toEqual(['opened', 'opened']);
    expect(a.neg.log.filter((l) => l === 'reset')).toHaveLength(2);
  });

  test('a negotiator giving up closes the automaton with its reason', () => {
    const { fsm, neg } = toy();
    fsm.open(0);
    const [[, id]] = sent(fsm.up(0)) as [[number, number, Uint8Array]];
    neg.fail = { by: 'peer', code: 'no-address' };
    const out = fsm.handlePacket(packet(4, id, opts({ type: 2, data: new Uint8Array(0) })), 1);
    expect(sent(out).map(([c]) => c)).toEqual([5]);
    expect(fsm.state).toBe('closing');
    expect(fsm.reason.code).toBe('no-address');
  });

  test('every (state, event) pair is total: no row throws', () => {
    const feed: Record<string, (f: PppAutomaton<'ipcp'>) => unknown> = {
      up: (f) => f.up(0),
      down: (f) => f.down(0),
      open: (f) => f.open(0),
      close: (f) => f.close(0),
    };
    const packets: Partial<Record<PppFsmEvent, Uint8Array>> = {
      'rcr+': packet(1, 1, hex`01 03 07`),
      rtr: packet(5, 1),
      rta: packet(6, 1),
      ruc: packet(40, 1),
      'rxj-': packet(7, 1, hex`02`),
    };
    for (const start of [[], ['open'], ['up'], ['open', 'up'], ['up', 'open', 'close']]) {
      for (const e of [...Object.keys(feed), ...Object.keys(packets)]) {
        const { fsm } = toy();
        for (const s of start) feed[s]?.(fsm);
        const p = packets[e as PppFsmEvent];
        expect(() => (p === undefined ? feed[e]?.(fsm) : fsm.handlePacket(p, 1))).not.toThrow();
        expect(() => fsm.handleTimeout(1e9)).not.toThrow();
      }
    }
  });
});

test('controlFrame refuses data that cannot fit a Length field', () => {
  expect(() => controlFrame(0xc021, defaultFraming(), 1, 1, 0x10000)).toThrow();
  expect(decodeOptions(new Uint8Array(0))).toEqual([]);
});
