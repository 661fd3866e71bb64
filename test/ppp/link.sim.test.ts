// Property test: two PppLinks (LCP + IPCP, a server and a client) on the deterministic network
// simulator (src/testing) with loss and duplication, random option sets and timers. RFC 1661 §1
// assumes links that keep order, so the main property uses in-order links (no jitter); a second
// property adds reordering and only asks for an end and agreement when both are up.
// Every run must settle: both ends Opened (LCP and IPCP) with values that mirror each other, or
// both ends finished (LCP This-Layer-Finished, the host ends the call) with a reason.
// The Echo keepalive is on, as a host would run it: without it an end whose peer gave up while
// it sat in Opened would wait for ever (RFC 1661 leaves that to "higher level timeouts", §4.5).

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { PppLinkOptions } from '../../src/ppp/link.js';
import { PppLink } from '../../src/ppp/link.js';
import type { PppEvent, PppOutput, PppReason } from '../../src/ppp/types.js';
import { type LinkOptions, SimNetwork, type SimNode } from '../../src/testing/index.js';
import { seededBytes } from './helpers.js';

/** A host around one link: frames to the network, events kept, the call ended at LCP finished. */
class LinkNode implements SimNode<Uint8Array> {
  readonly id: string;
  readonly #peer: string;
  readonly #net: SimNetwork<Uint8Array>;
  readonly link: PppLink;
  readonly events: PppEvent[] = [];
  finished: PppReason | undefined;

  constructor(id: string, peer: string, net: SimNetwork<Uint8Array>, options: PppLinkOptions) {
    this.id = id;
    this.#peer = peer;
    this.#net = net;
    this.link = new PppLink(options);
  }

  start(now: number): void {
    this.#perform(this.link.open(now));
  }

  nextDeadline(): number | undefined {
    return this.finished === undefined ? this.link.nextDeadline() : undefined;
  }

  handleTimeout(now: number): void {
    if (this.finished === undefined) this.#perform(this.link.handleTimeout(now));
  }

  receive(_from: string, frame: Uint8Array, now: number): void {
    if (this.finished === undefined) this.#perform(this.link.handleFrame(frame, now));
  }

  get up(): boolean {
    return this.link.lcp.state === 'opened' && this.link.ipcp?.state === 'opened';
  }

  #perform(out: readonly PppOutput[]): void {
    for (const o of out) {
      if (o.type === 'transmit') this.#net.transmit(this.id, this.#peer, o.frame);
      else if (o.type === 'event') {
        this.events.push(o.event);
        if (o.event.type === 'finished' && o.event.protocol === 'lcp')
          this.finished = o.event.reason;
      }
    }
  }
}

const REASONS = [
  'admin-close',
  'peer-terminate',
  'no-response',
  'loopback',
  'keepalive',
  'no-address',
  'no-network',
  'code-rejected',
  'protocol-rejected',
];

const linkArb = (reorder: boolean) =>
  fc.record({
    lossRate: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.35, noNaN: true })),
    duplicateRate: fc.double({ min: 0, max: 0.25, noNaN: true }),
    latencyMs: fc.integer({ min: 1, max: 400 }),
    jitterMs: reorder ? fc.integer({ min: 0, max: 600 }) : fc.constant(0),
    reorderRate: reorder ? fc.double({ min: 0, max: 0.3, noNaN: true }) : fc.constant(0),
  });

const lcpArb = fc.record({
  mru: fc.oneof(fc.constant(1500), fc.integer({ min: 296, max: 1500 })),
  minMru: fc.oneof(fc.constant(128), fc.integer({ min: 128, max: 1400 })),
  magic: fc.boolean(),
  pfc: fc.boolean(),
  acfc: fc.boolean(),
  acceptPfc: fc.boolean(),
  restartMs: fc.integer({ min: 500, max: 3000 }),
  maxConfigure: fc.integer({ min: 2, max: 10 }),
  maxFailure: fc.integer({ min: 0, max: 5 }),
});

const scenarioArb = (reorder: boolean) =>
  fc.record({
    seed: fc.integer(),
    serverToClient: linkArb(reorder),
    clientToServer: linkArb(reorder),
    serverLcp: lcpArb,
    clientLcp: lcpArb,
    /** Whether the server has an address to give (else IPCP fails with no-address). */
    assigns: fc.boolean(),
    requestDns: fc.boolean(),
    clientStartMs: fc.integer({ min: 0, max: 5000 }),
  });

type Scenario = typeof scenarioArb extends (r: boolean) => fc.Arbitrary<infer S> ? S : never;

function simulate(s: Scenario) {
  const net = new SimNetwork<Uint8Array>({ seed: s.seed });
  const common = { echoIntervalMs: 5000, echoMaxMissed: 6 };
  const server = new LinkNode('server', 'client', net, {
    randomBytes: seededBytes(s.seed ^ 0x5eed),
    lcp: { ...s.serverLcp, ...common },
    ipcp: {
      localAddress: '10.0.0.1',
      ...(s.assigns ? { peerAddress: '10.0.0.2' } : {}),
      dns: ['10.0.0.53', '10.0.0.54'],
    },
  });
  const client = new LinkNode('client', 'server', net, {
    randomBytes: seededBytes(s.seed ^ 0xc11e),
    lcp: { ...s.clientLcp, ...common },
    ipcp: { requestDns: s.requestDns },
  });
  net.addNode(server);
  net.addNode(client);
  net.connect('server', 'client', s.serverToClient as LinkOptions);
  net.connect('client', 'server', s.clientToServer as LinkOptions);
  server.start(0);
  net.schedule(s.clientStartMs, (now) => client.start(now));
  const settled = () =>
    (server.up && client.up) || (server.finished !== undefined && client.finished !== undefined);
  const result = net.run({ maxSteps: 200_000, untilMs: 3_600_000, stopWhen: settled });
  return { server, client, result };
}

/**
 * No loss, an address to give, and each end patient enough to hear the other (its Max-Configure
 * requests span the other's start and two round trips): then the link must come up. This is
 * what found a request resent after TO+ in Ack-Rcvd whose Ack was ignored.
 */
function timely(s: Scenario): boolean {
  const rtt = s.serverToClient.latencyMs + s.clientToServer.latencyMs;
  const patient = (l: { restartMs: number; maxConfigure: number }, start: number) =>
    start + 2 * rtt + l.restartMs < l.maxConfigure * l.restartMs;
  return (
    s.assigns &&
    s.serverToClient.lossRate === 0 &&
    s.clientToServer.lossRate === 0 &&
    patient(s.serverLcp, s.clientStartMs) &&
    patient(s.clientLcp, 0)
  );
}

function checkAgreement(server: LinkNode, client: LinkNode): void {
  const a = server.link.lcp.values;
  const b = client.link.lcp.values;
  expect(a).toBeDefined();
  expect(b).toBeDefined();
  if (a === undefined || b === undefined) return;
  expect(a.localMagic).toBe(b.peerMagic);
  expect(b.localMagic).toBe(a.peerMagic);
  expect(a.mru).toBe(b.mtu);
  expect(b.mru).toBe(a.mtu);
  expect([a.txPfc, a.txAcfc]).toEqual([b.rxPfc, b.rxAcfc]);
  expect([b.txPfc, b.txAcfc]).toEqual([a.rxPfc, a.rxAcfc]);
  const si = server.link.ipcp?.values;
  const ci = client.link.ipcp?.values;
  expect(ci?.localAddress).toBe('10.0.0.2');
  expect(si?.peerAddress).toBe('10.0.0.2');
  expect(si?.localAddress).toBe('10.0.0.1');
  expect(ci?.peerAddress).toBe('10.0.0.1');
}

function checkEnded(node: LinkNode): void {
  expect(node.finished).toBeDefined();
  expect(REASONS).toContain(node.finished?.code);
  expect(['closed', 'stopped']).toContain(node.link.lcp.state);
}

const tally = { up: 0, ended: 0, timely: 0 };

describe('two links on a lossy, duplicating network', () => {
  test('in-order links: both Opened with agreed values, or both ended with a reason', () => {
    fc.assert(
      fc.property(scenarioArb(false), (s) => {
        const { server, client, result } = simulate(s);
        expect(result.reason).toBe('stopped');
        if (timely(s)) {
          tally.timely++;
          expect(server.up && client.up).toBe(true);
        }
        if (server.up && client.up) {
          tally.up++;
          checkAgreement(server, client);
          // With an address to give the outcome is always success or a clean end; without
          // one IPCP can never open.
          expect(s.assigns).toBe(true);
          if (s.requestDns) {
            expect(client.link.ipcp?.values).toMatchObject({
              primaryDns: '10.0.0.53',
              secondaryDns: '10.0.0.54',
            });
          }
        } else {
          tally.ended++;
          checkEnded(server);
          checkEnded(client);
        }
      }),
      { numRuns: 300 },
    );
    // Both outcomes occur over the runs (guards against a vacuous property).
    expect(tally.up).toBeGreaterThan(0);
    expect(tally.ended).toBeGreaterThan(0);
    expect(tally.timely).toBeGreaterThan(0);
  });

  test('with reordering as well: every run ends; when both are up they agree', () => {
    fc.assert(
      fc.property(scenarioArb(true), (s) => {
        const { server, client, result } = simulate(s);
        expect(result.reason).toBe('stopped');
        if (server.up && client.up) checkAgreement(server, client);
        else {
          checkEnded(server);
          checkEnded(client);
        }
      }),
      { numRuns: 150 },
    );
  });

  test('a clean network with defaults: up within one round trip per protocol', () => {
    const { server, client, result } = simulate({
      seed: 7,
      serverToClient: { lossRate: 0, duplicateRate: 0, latencyMs: 20, jitterMs: 0, reorderRate: 0 },
      clientToServer: { lossRate: 0, duplicateRate: 0, latencyMs: 20, jitterMs: 0, reorderRate: 0 },
      serverLcp: {
        mru: 1500,
        minMru: 128,
        magic: true,
        pfc: false,
        acfc: false,
        acceptPfc: true,
        restartMs: 3000,
        maxConfigure: 10,
        maxFailure: 5,
      },
      clientLcp: {
        mru: 1400,
        minMru: 128,
        magic: true,
        pfc: true,
        acfc: true,
        acceptPfc: true,
        restartMs: 3000,
        maxConfigure: 10,
        maxFailure: 5,
      },
      assigns: true,
      requestDns: true,
      clientStartMs: 0,
    });
    expect(result.reason).toBe('stopped');
    expect(server.up && client.up).toBe(true);
    expect(result.nowMs).toBeLessThan(200);
    checkAgreement(server, client);
  });
});
