// L2tpConfig with static tunnels on real loopback UDP sockets (UdpTransport from the factory):
// the kernel doc's Host 1 / Host 2 configured through the command API, frames both ways, and
// the counters read back through sessionGet / tunnelGet equal to the sessions' own.
// Waits on datagrams, never sleeps.
import { afterEach, describe, expect, it } from 'vitest';
import { L2tpConfig } from '../../src/config.js';
import { nodeClock, nodeTimers } from '../../src/node/clock.js';
import { UdpTransport } from '../../src/node/udp.js';
import { toKernelStats } from '../../src/static.js';
import { releasedUdpPort as freePort } from '../helpers/ports.js';

const opened: { close(): unknown }[] = [];
afterEach(() => {
  for (const o of opened.splice(0)) o.close();
});

function table(onFrame: (frame: Uint8Array) => void) {
  const config = new L2tpConfig({
    transportFactory: (r) =>
      UdpTransport.open({
        ...(r.local === undefined ? {} : { address: r.local }),
        port: r.udp_sport,
        connect: { address: r.remote, port: r.udp_dport }, // as the kernel's tunnel socket
      }),
    clock: nodeClock,
    timers: nodeTimers,
    onFrame: (frame) => onFrame(Uint8Array.from(frame)),
  });
  opened.push(config);
  return config;
}

describe('L2tpConfig over loopback UDP', () => {
  it('Host 1 ↔ Host 2: ip l2tp commands, frames both ways, get stats equal the sessions', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const rx1: Uint8Array[] = [];
    const rx2: Uint8Array[] = [];
    let wake: () => void = () => {};
    const h1 = table((f) => {
      rx1.push(f);
      wake();
    });
    const h2 = table((f) => {
      rx2.push(f);
      wake();
    });
    const common = { local: '127.0.0.1', remote: '127.0.0.1' };
    await h1.tunnelCreate({
      ...common,
      tunnel_id: 42,
      peer_tunnel_id: 45,
      udp_sport: p1,
      udp_dport: p2,
    });
    await h2.tunnelCreate({
      ...common,
      tunnel_id: 45,
      peer_tunnel_id: 42,
      udp_sport: p2,
      udp_dport: p1,
    });
    h1.sessionCreate(42, {
      session_id: 128,
      peer_session_id: 5196755,
      cookie: '01020304',
      peer_cookie: '0a0b0c0d',
      seq: 'both',
    });
    h2.sessionCreate(45, {
      session_id: 5196755,
      peer_session_id: 128,
      cookie: '0a0b0c0d',
      peer_cookie: '01020304',
      seq: 'both',
    });
    const s1 = h1.staticSession(42, 128);
    const s2 = h2.staticSession(45, 5196755);
    if (s1 === undefined || s2 === undefined) throw new Error('sessions missing');
    const frame = (n: number) => Uint8Array.from({ length: 60 }, (_, i) => (i + n) & 0xff);
    const arrived = (want: () => boolean) =>
      new Promise<void>((resolve) => {
        wake = () => {
          if (want()) resolve();
        };
        wake();
      });
    for (let n = 0; n < 5; n++) h1.staticTunnel(42)?.send(s1, frame(n));
    await arrived(() => rx2.length === 5);
    for (let n = 0; n < 2; n++) h2.staticTunnel(45)?.send(s2, frame(100 + n));
    await arrived(() => rx1.length === 2);
    expect(rx2).toEqual([0, 1, 2, 3, 4].map(frame));
    expect(rx1).toEqual([100, 101].map(frame));

    const g1 = h1.sessionGet(42, 128);
    expect(g1.stats).toEqual(toKernelStats(s1.stats()));
    expect(g1.stats).toMatchObject({ tx_packets: 5, tx_bytes: 300, rx_packets: 2, rx_bytes: 120 });
    expect(h2.sessionGet(45, 5196755).stats).toEqual(toKernelStats(s2.stats()));
    expect(h2.tunnelGet(45).stats).toMatchObject({ tx_packets: 2, rx_packets: 5, rx_errors: 0 });
    expect(h1.tunnelGet(42)).toMatchObject({ udp_sport: p1, udp_dport: p2, sessions: 1 });

    h2.sessionDelete(45, 5196755);
    expect(h2.tunnelGet(45)).toMatchObject({ sessions: 0, stats: { rx_packets: 5 } });
    h1.tunnelDelete(42);
    h2.tunnelDelete(45);
    expect(h1.tunnelList()).toEqual([]);
  });

  it('a factory transport connected to another peer: BAD_VALUE, the transport closed', async () => {
    const port = await freePort();
    let made: UdpTransport | undefined;
    const config = new L2tpConfig({
      transportFactory: async (r) => {
        made = await UdpTransport.open({
          address: '127.0.0.1',
          connect: { address: r.remote, port: r.udp_dport + 1 }, // not udp_dport
        });
        return made;
      },
      clock: nodeClock,
    });
    opened.push(config);
    await expect(
      config.tunnelCreate({
        tunnel_id: 7,
        peer_tunnel_id: 8,
        remote: '127.0.0.1',
        udp_sport: 0,
        udp_dport: port,
      }),
    ).rejects.toMatchObject({
      reason: 'BAD_VALUE',
      errno: 'EINVAL',
      message: expect.stringMatching(/connected to/),
    });
    expect(made?.closed).toBe(true);
    expect(config.tunnelList()).toEqual([]);
  });
});
