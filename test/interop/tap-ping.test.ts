/**
 * The seed's "Unmanaged L2TPv3 Tunnels" example for real, in user space: two network namespaces
 * joined by a veth (192.168.1.1 ↔ 192.168.1.2), in each a TAP interface and
 * examples/linux-host/static-peer.mjs with Host 1 / Host 2's parameters (tunnel 42/45, sessions
 * 128/5196755, UDP ports 5000/5001), TAP addresses 10.5.1.2 peer 10.5.1.1 and reverse. The
 * kernel's ping must answer through the pseudowire (RFC 3931 §4.1 data over UDP, §4.5 cookies,
 * §4.6 Default L2SS sequencing), then both peers' counters must agree. Skipped with the reason
 * when namespaces or /dev/net/tun are unavailable (fails instead on CI); needs `npm run build`
 * and scripts/install-peers.sh (ping, the TAP addon).
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  HOST1,
  HOST1_V6,
  HOST2,
  HOST2_V6,
  type PeerCounters,
  Testbed,
  testbedAvailability,
} from '../../examples/linux-host/testbed.mjs';
import { COOKIES, PINGS, type PingCase, pingCase } from './ping-case.js';
import { onCi } from './xl2tpd-harness.js';

const AV = testbedAvailability();
const SKIP = !AV.available && !onCi();
if (SKIP) console.warn(`tap-ping: skipping the TAP ping tests: ${AV.reason}`);

const beds: Testbed[] = [];
afterAll(() => {
  for (const b of beds.splice(0)) b.destroy();
});

const cases: PingCase[] = [
  { name: 'the seed parameters as given (no cookie, no seq)', host1: HOST1, host2: HOST2 },
  {
    name: 'with cookies (8 and 4 octets) and seq both',
    host1: { ...HOST1, ...COOKIES.host1 },
    host2: { ...HOST2, ...COOKIES.host2 },
  },
  {
    name: 'over IPv6 (fd00:5::1 ↔ fd00:5::2), cookies and seq both',
    host1: { ...HOST1_V6, ...COOKIES.host1 },
    host2: { ...HOST2_V6, ...COOKIES.host2 },
  },
];

describe.skipIf(SKIP)('TAP ping over a static L2TPv3 UDP pseudowire in namespaces', () => {
  it('has what it needs (netns, /dev/net/tun, ping, addon, dist)', () => {
    expect(AV.reason).toBeUndefined();
    expect(AV.missing).toEqual([]);
  });

  for (const c of cases) {
    it(`ping -c ${PINGS} 10.5.1.1 answers: ${c.name}`, async () => {
      const { a, info1 } = await pingCase(beds, c, 'udp', 'tap-ping');
      expect(info1).toMatchObject({ encap: 'udp', session_id: 128, peer_session_id: 5196755 });
      // Each UDP datagram is the frame plus 4 (T, Ver, Reserved) + 4 (Session ID) + cookie
      // + 4 (Default L2SS) octets (RFC 3931 §4.1.2.1, §4.6).
      const cookieA = ((c.host1.cookie as string | undefined)?.length ?? 0) / 2;
      expect(a.transport.bytesSent).toBe(
        a.session.tx_bytes + a.session.tx_packets * (12 + cookieA),
      );
      expect(a.transport.datagramsReceived).toBe(a.session.rx_packets);
    });
  }

  it('a wrong peer_cookie on Host 2 stops the pseudowire: no answer, cookie discards counted', async () => {
    const bed = Testbed.create();
    beds.push(bed);
    const host1 = await bed.startPeer(bed.a, { ...HOST1, ...COOKIES.host1, encap: 'udp' });
    const host2 = await bed.startPeer(bed.b, {
      ...HOST2,
      ...COOKIES.host2,
      peer_cookie: '0102030405060709',
      encap: 'udp',
    });
    const ping = await bed.ping(bed.a, '10.5.1.1', 2);
    const s1 = await host1.stop();
    const s2 = await host2.stop();
    bed.destroy();
    expect(ping, ping.output).toMatchObject({ transmitted: 2, received: 0, lossPercent: 100 });
    expect(s1.cleanExit && s2.cleanExit).toBe(true);
    const a = s1.counters as PeerCounters;
    const b = s2.counters as PeerCounters;
    // RFC 3931 §4.5: every packet with a wrong cookie is discarded; Host 1's ARP requests reach
    // Host 2's socket and all die there.
    expect(a.session.tx_packets).toBeGreaterThan(0);
    expect(b.transport.datagramsReceived).toBe(a.session.tx_packets);
    expect(b.session.rx_cookie_discards).toBe(a.session.tx_packets);
    expect(b.session.rx_packets).toBe(0);
    expect(b.tap.txFrames).toBe(0);
  });
});
