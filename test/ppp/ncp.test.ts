// src/ppp/ipcp.ts and src/ppp/ipv6cp.ts: IPCP's IP-Address as server and client (RFC 1332
// §3.3), RFC 1877's name servers, refused compression; IPv6CP's Interface-Identifier with its
// RFC 5072 §4.1 collision rules; both driven against each other and packet by packet.

import { describe, expect, test } from 'vitest';
import { UsageError } from '../../src/errors.js';
import type { PppAutomaton } from '../../src/ppp/automaton.js';
import {
  decodeControl,
  decodeFrame,
  encodeControl,
  encodeOptions,
  type PppOption,
  u32Option,
} from '../../src/ppp/frame.js';
import {
  createIpcp,
  formatIpv4,
  IpcpNegotiator,
  type IpcpOptions,
  parseIpv4,
} from '../../src/ppp/ipcp.js';
import { createIpv6cp, Ipv6cpNegotiator, type Ipv6cpOptions } from '../../src/ppp/ipv6cp.js';
import type { PppOutput } from '../../src/ppp/types.js';
import { hex } from '../helpers/hex.js';
import { packetStation, seededBytes, Wire } from './helpers.js';

type Sent = { code: number; id: number; data: Uint8Array };
function sent(out: readonly PppOutput[]): Sent[] {
  return out.flatMap((o) => {
    if (o.type !== 'transmit') return [];
    const p = decodeControl(decodeFrame(o.frame).information);
    return [{ code: p.code, id: p.id, data: p.data }];
  });
}

function start<N extends 'ipcp' | 'ipv6cp'>(fsm: PppAutomaton<N>): Sent {
  fsm.open(0);
  return sent(fsm.up(0))[0] as Sent;
}

function wire<N extends 'ipcp' | 'ipv6cp'>(a: PppAutomaton<N>, b: PppAutomaton<N>): Wire {
  const w = new Wire([packetStation(a), packetStation(b)]);
  for (const [i, x] of [a, b].entries()) {
    w.deliver(i as 0 | 1, x.open(0));
    w.deliver(i as 0 | 1, x.up(0));
  }
  w.run(120_000);
  return w;
}

const req = (id: number, ...o: PppOption[]) => encodeControl(1, id, encodeOptions(o));

const SERVER: IpcpOptions = {
  localAddress: '10.0.0.1',
  peerAddress: '10.0.0.2',
  dns: ['192.0.2.53', '192.0.2.54'],
  nbns: ['192.0.2.137'],
};

describe('IPCP (RFC 1332, RFC 1877)', () => {
  test('client and server: the client gets its address and DNS servers', () => {
    const server = createIpcp(SERVER);
    const client = createIpcp({ requestDns: true, requestNbns: true });
    wire(server, client);
    expect([server.state, client.state]).toEqual(['opened', 'opened']);
    expect(client.values).toEqual({
      localAddress: '10.0.0.2',
      peerAddress: '10.0.0.1',
      primaryDns: '192.0.2.53',
      secondaryDns: '192.0.2.54',
      primaryNbns: '192.0.2.137',
      secondaryNbns: undefined,
    });
    expect(server.values).toMatchObject({ localAddress: '10.0.0.1', peerAddress: '10.0.0.2' });
  });

  test('golden: the client’s first request asks 0.0.0.0 and the DNS servers', () => {
    const [r] = [start(createIpcp({ requestDns: true }))];
    expect(r?.data).toEqual(hex`03 06 00 00 00 00  81 06 00 00 00 00  83 06 00 00 00 00`);
  });

  test('server: 0.0.0.0 Nak’d with the assigned address; that address Ack’d', () => {
    const s = createIpcp(SERVER);
    start(s);
    expect(sent(s.handlePacket(req(5, u32Option(3, 0)), 1))).toEqual([
      { code: 3, id: 5, data: hex`03 06 0a 00 00 02` },
    ]);
    expect(sent(s.handlePacket(req(6, u32Option(3, 0x0a000002)), 1))[0]?.code).toBe(2);
  });

  test('server: another address is Nak’d, unless acceptPeerAddress', () => {
    const s = createIpcp(SERVER);
    start(s);
    expect(sent(s.handlePacket(req(5, u32Option(3, 0x0a000063)), 1))[0]?.code).toBe(3);
    const t = createIpcp({ ...SERVER, acceptPeerAddress: true });
    start(t);
    expect(sent(t.handlePacket(req(5, u32Option(3, 0x0a000063)), 1))[0]?.code).toBe(2);
  });

  test('server: a request without IP-Address gets it appended to a Nak, once (§3.3)', () => {
    const s = createIpcp(SERVER);
    start(s);
    expect(sent(s.handlePacket(req(1), 1))).toEqual([
      { code: 3, id: 1, data: hex`03 06 0a 00 00 02` },
    ]);
    expect(sent(s.handlePacket(req(2), 1))[0]?.code).toBe(2);
  });

  test('DNS/NBNS: Nak’d with ours, Rejected when we have none; compression Rejected', () => {
    const s = createIpcp({ ...SERVER, nbns: [] });
    start(s);
    expect(
      sent(
        s.handlePacket(
          req(1, u32Option(3, 0x0a000002), u32Option(129, 0), u32Option(131, 0xc0000236)),
          1,
        ),
      ),
    ).toEqual([{ code: 3, id: 1, data: hex`81 06 c0 00 02 35` }]);
    expect(sent(s.handlePacket(req(2, u32Option(3, 0x0a000002), u32Option(130, 0)), 1))[0]).toEqual(
      { code: 4, id: 2, data: hex`82 06 00 00 00 00` },
    );
    expect(
      sent(
        s.handlePacket(req(3, u32Option(3, 0x0a000002), { type: 2, data: hex`00 2d 0f 01` }), 1),
      )[0],
    ).toEqual({ code: 4, id: 3, data: hex`02 06 00 2d 0f 01` });
    // The deprecated IP-Addresses option and unknown ones, too.
    expect(
      sent(
        s.handlePacket(
          req(4, { type: 1, data: new Uint8Array(8) }, { type: 200, data: new Uint8Array(0) }),
          1,
        ),
      )[0]?.code,
    ).toBe(4);
  });

  test('client: a Nak’d address is taken; a configured one stays unless acceptLocalAddress', () => {
    const c = createIpcp({});
    const r = start(c);
    const again = sent(c.handlePacket(encodeControl(3, r.id, hex`03 06 0a 01 02 03`), 1));
    expect(again[0]?.data).toEqual(hex`03 06 0a 01 02 03`);
    const fixed = createIpcp({ localAddress: '10.9.9.9' });
    const r2 = start(fixed);
    const same = sent(fixed.handlePacket(encodeControl(3, r2.id, hex`03 06 0a 01 02 03`), 1));
    expect(same[0]?.data).toEqual(hex`03 06 0a 09 09 09`);
  });

  test('client without an address, server without one to give: no-address on both ends', () => {
    const a = createIpcp({});
    const b = createIpcp({});
    const w = wire(a, b);
    expect(w.events(0, 'finished')).toMatchObject([{ reason: { code: 'no-address' } }]);
    expect(['closed', 'stopped']).toContain(a.state);
  });

  test('DNS asked for and Rejected: not asked again, IPCP still opens', () => {
    const server = createIpcp({ localAddress: '10.0.0.1', peerAddress: '10.0.0.2' });
    const client = createIpcp({ requestDns: true });
    wire(server, client);
    expect(client.state).toBe('opened');
    expect(client.values?.primaryDns).toBeUndefined();
  });

  test('addresses: parse and format; bad ones refused', () => {
    expect(formatIpv4(parseIpv4('192.168.1.254'))).toBe('192.168.1.254');
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    for (const bad of ['1.2.3', '1.2.3.256', 'a.b.c.d', '1..2.3', '01.2.3.4.5']) {
      expect(() => parseIpv4(bad)).toThrow(UsageError);
    }
    expect(() => new IpcpNegotiator({ dns: ['1.1.1.1', '1.0.0.1', '8.8.8.8'] })).toThrow(
      UsageError,
    );
  });
});

const id = (...b: number[]) => Uint8Array.from(b);

function v6(options: Partial<Ipv6cpOptions> = {}, seed = 1) {
  return createIpv6cp({ randomBytes: seededBytes(seed), ...options });
}

describe('IPv6CP (RFC 5072)', () => {
  test('random identifiers: both ends agree, each other’s mirrored, u bit clear, non-zero', () => {
    const a = v6({}, 1);
    const b = v6({}, 2);
    wire(a, b);
    expect([a.state, b.state]).toEqual(['opened', 'opened']);
    const av = a.values;
    const bv = b.values;
    expect(av?.localInterfaceId).toEqual(bv?.peerInterfaceId);
    expect(bv?.localInterfaceId).toEqual(av?.peerInterfaceId);
    expect(av?.localInterfaceId).not.toEqual(bv?.localInterfaceId);
    for (const x of [av?.localInterfaceId, bv?.localInterfaceId]) {
      expect(((x?.[0] ?? 0xff) & 0x02) === 0).toBe(true);
      expect(x?.some((o) => o !== 0)).toBe(true);
    }
  });

  test('golden: the request carries Interface-Identifier, Length 10', () => {
    const r = start(v6({ interfaceId: id(2, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55) }));
    expect(r.data).toEqual(hex`01 0a 02 11 22 ff fe 33 44 55`);
  });

  test('§4.1 collision: both configured alike; one side Naks, identifiers end up different', () => {
    const same = id(0, 0, 0, 0, 0, 0, 0, 1);
    const a = v6({ interfaceId: same }, 1);
    const b = v6({ interfaceId: same }, 2);
    wire(a, b);
    expect([a.state, b.state]).toEqual(['opened', 'opened']);
    expect(a.values?.localInterfaceId).not.toEqual(b.values?.localInterfaceId);
    expect(a.values?.localInterfaceId).toEqual(b.values?.peerInterfaceId);
  });

  test('§4.1 judgement: zero → Nak with a non-zero one ≠ ours; equal → Nak; both zero → Reject', () => {
    const ours = id(1, 2, 3, 4, 5, 6, 7, 8);
    const fsm = v6({ interfaceId: ours, peerInterfaceId: id(9, 9, 9, 9, 9, 9, 9, 9) });
    start(fsm);
    const ask = (data: Uint8Array, n: number) =>
      sent(fsm.handlePacket(req(n, { type: 1, data }), 1))[0];
    expect(ask(new Uint8Array(8), 1)).toEqual({
      code: 3,
      id: 1,
      data: hex`01 0a 09 09 09 09 09 09 09 09`,
    });
    expect(ask(ours, 2)?.code).toBe(3);
    expect(ask(id(7, 7, 7, 7, 7, 7, 7, 7), 3)?.code).toBe(2);
    expect(ask(id(1, 2), 4)?.code).toBe(3); // bad Length: Nak with a proper one
    const n = new Ipv6cpNegotiator({ randomBytes: () => new Uint8Array(8) });
    // A generator giving zeros still yields a usable identifier.
    n.reset();
    expect(n.request()[0]?.data.some((x) => x !== 0)).toBe(true);
  });

  test('a Nak echoing our own last suggestion means a collision: a new identifier is drawn', () => {
    const fsm = v6({ peerInterfaceId: id(9, 9, 9, 9, 9, 9, 9, 9) }, 5);
    const r = start(fsm);
    sent(fsm.handlePacket(req(1, { type: 1, data: new Uint8Array(8) }), 1)); // we Nak 09…
    const next = sent(
      fsm.handlePacket(encodeControl(3, r.id, hex`01 0a 09 09 09 09 09 09 09 09`), 2),
    );
    expect(next[0]?.data.subarray(2)).not.toEqual(id(9, 9, 9, 9, 9, 9, 9, 9));
    // A fresh suggestion is taken as is.
    const fsm2 = v6({}, 6);
    const r2 = start(fsm2);
    const took = sent(
      fsm2.handlePacket(encodeControl(3, r2.id, hex`01 0a 00 00 00 00 00 00 00 05`), 2),
    );
    expect(took[0]?.data).toEqual(hex`01 0a 00 00 00 00 00 00 00 05`);
  });

  test('Rejected: not sent again; our tentative identifier is reported; compression Rejected', () => {
    const fsm = v6({ interfaceId: id(1, 1, 1, 1, 1, 1, 1, 1) });
    const r = start(fsm);
    const next = sent(fsm.handlePacket(encodeControl(4, r.id, r.data), 1));
    expect(next[0]?.data).toEqual(new Uint8Array(0));
    expect(sent(fsm.handlePacket(req(3, { type: 2, data: hex`00 4f` }), 1))[0]?.code).toBe(4);
    expect(() => v6({ interfaceId: new Uint8Array(8) })).toThrow(UsageError);
    expect(() => v6({ interfaceId: id(1, 2, 3) })).toThrow(UsageError);
  });
});
