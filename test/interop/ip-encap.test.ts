/**
 * Static L2TPv3 over IP (protocol 115, RFC 3931 §4.1.1) end to end on real raw sockets: two
 * network namespaces joined by a veth, in each a TAP interface and
 * examples/linux-host/static-peer.mjs with `--encap ip`, i.e. raw-socket 1.8.1 under
 * src/node/ip.ts's IpTransport (IPv4 header stripped on receive; IPv6 raw sockets have none).
 * The seed's Host 1 / Host 2 ids, TAP 10.5.1.2 ↔ 10.5.1.1; the kernel's ping must answer, with
 * and without cookies and sequencing, over IPv4 and IPv6. Skipped with the reason when
 * namespaces or /dev/net/tun are unavailable (fails instead on CI); needs `npm run build` and
 * scripts/install-peers.sh (ping, the TAP addon, raw-socket).
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  HOST1,
  HOST1_V6,
  HOST2,
  HOST2_V6,
  type Testbed,
  testbedAvailability,
} from '../../examples/linux-host/testbed.mjs';
import { COOKIES, PINGS, type PingCase, pingCase } from './ping-case.js';
import { onCi } from './xl2tpd-harness.js';

const AV = testbedAvailability();
const SKIP = !AV.available && !onCi();
if (SKIP) console.warn(`ip-encap: skipping the L2TPv3-over-IP tests: ${AV.reason}`);

const beds: Testbed[] = [];
afterAll(() => {
  for (const b of beds.splice(0)) b.destroy();
});

const cases: PingCase[] = [
  { name: 'IPv4, no cookie, no seq', host1: HOST1, host2: HOST2 },
  {
    name: 'IPv4, cookies (8 and 4 octets) and seq both',
    host1: { ...HOST1, ...COOKIES.host1 },
    host2: { ...HOST2, ...COOKIES.host2 },
  },
  {
    name: 'IPv6 (fd00:5::1 ↔ fd00:5::2), cookies and seq both',
    host1: { ...HOST1_V6, ...COOKIES.host1 },
    host2: { ...HOST2_V6, ...COOKIES.host2 },
  },
];

/** Octets of the L2TPv3-over-IP data header: Session ID, cookie, Default L2SS (RFC 3931 §4.1.1.2). */
const headerLength = (cookie: unknown) =>
  4 + (typeof cookie === 'string' ? cookie.length / 2 : 0) + 4;

describe.skipIf(SKIP)('TAP ping over a static L2TPv3-over-IP pseudowire (raw sockets)', () => {
  it('has what it needs (netns, /dev/net/tun, ping, addon, raw-socket, dist)', () => {
    expect(AV.reason).toBeUndefined();
    expect(AV.missing).toEqual([]);
  });

  for (const c of cases) {
    it(`ping -c ${PINGS} 10.5.1.1 answers: ${c.name}`, async () => {
      const { a, b, info2 } = await pingCase(beds, c, 'ip', 'ip-encap');
      expect(info2).toMatchObject({ encap: 'ip', session_id: 5196755, peer_session_id: 128 });
      // The transport sees L2TP octets only: sent = frames + our header, received = frames +
      // the peer's header, so the IPv4 header was stripped (and nothing else).
      for (const [x, mine, theirs] of [
        [a, c.host1.cookie, c.host2.cookie],
        [b, c.host2.cookie, c.host1.cookie],
      ] as const) {
        expect(x.transport.bytesSent).toBe(
          x.session.tx_bytes + x.session.tx_packets * headerLength(mine),
        );
        expect(x.transport.bytesReceived).toBe(
          x.session.rx_bytes + x.session.rx_packets * headerLength(theirs),
        );
        expect(x.transport.badHeaders).toBe(0);
      }
    });
  }
});
