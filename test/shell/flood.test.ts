// Issue #13, flood resistance over loopback UDP: SCCRQs that never complete, from 64 source
// ports with random Assigned Tunnel IDs at 2,000/s, must not lock a real LAC out. The full
// 100,000-SCCRQ run with heap figures is bench/flood.mjs (docs/performance.md); this test
// floods for 3 s and lets a real LAC in after 1 s.

import { randomInt } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { stringValue } from '../../src/avp/values.js';
import { buildControl } from '../../src/codec/control.js';
import { Endpoint } from '../../src/endpoint.js';
import { nodeClock, nodeRandomBytes, nodeTimers } from '../../src/node/clock.js';
import { UdpTransport } from '../../src/node/udp.js';

const opened: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
});

const sccrq = (assignedTunnelId: number) =>
  buildControl(
    { version: 2, tunnelId: 0, sessionId: 0, ns: 0, nr: 0 },
    {
      type: 'SCCRQ',
      version: 2,
      protocolVersion: { version: 1, revision: 0 },
      hostName: stringValue('flood'),
      framingCapabilities: 3,
      assignedTunnelId,
    },
  );

it('a flood of half-open SCCRQs (2,000/s, 64 ports) does not keep a real LAC out: up within 2 s', async () => {
  const lnsTransport = await UdpTransport.open({ address: '127.0.0.1' });
  opened.push(lnsTransport);
  const lns = new Endpoint({
    transport: lnsTransport,
    clock: nodeClock,
    timers: nodeTimers,
    randomBytes: nodeRandomBytes,
    maxTunnels: 100_000,
    acceptTunnel: { mode: 'lns', hostName: 'lns.test' },
  });
  const to = { address: '127.0.0.1', port: lnsTransport.local.port };
  const flooders = await Promise.all(
    Array.from({ length: 64 }, () => UdpTransport.open({ address: '127.0.0.1' })),
  );
  opened.push(...flooders);
  for (const f of flooders) f.onDatagram(() => {}); // SCCRPs to the "forged" sources: ignored

  let sent = 0;
  const perTick = 20; // every 10 ms: 2,000/s
  const flood = setInterval(() => {
    for (let i = 0; i < perTick; i++) {
      const f = flooders[sent % flooders.length] as UdpTransport;
      f.send(sccrq(randomInt(1, 0x10000)), to);
      sent++;
    }
  }, 10);
  try {
    await new Promise((r) => setTimeout(r, 1000));
    // By now the half-open table (256 by default) has been full for a while.
    expect(lns.stats().halfOpenTunnels).toBe(256);
    const lacTransport = await UdpTransport.open({ address: '127.0.0.1' });
    opened.push(lacTransport);
    const lac = new Endpoint({
      transport: lacTransport,
      clock: nodeClock,
      timers: nodeTimers,
      randomBytes: nodeRandomBytes,
    });
    const t0 = performance.now();
    const tunnel = await lac.connect(to, { mode: 'lac', hostName: 'real-lac' });
    const upAfter = performance.now() - t0;
    expect(upAfter).toBeLessThan(2000);
    const session = await tunnel.openSession();
    expect(session.isUp).toBe(true);
    await new Promise((r) => setTimeout(r, 2000)); // the flood goes on; the real tunnel stays
    expect(tunnel.isUp).toBe(true);
    expect(lns.stats().halfOpenTunnels).toBeLessThanOrEqual(256);
    // Once the table is full, a flood SCCRQ is refused or takes a slot from a busier source.
    const { halfOpenEvicted, tunnelsRefused } = lns.stats();
    expect(halfOpenEvicted + tunnelsRefused).toBeGreaterThan(sent / 2);
    expect(lns.tunnels.size).toBeLessThanOrEqual(257);
    lac.destroy();
  } finally {
    clearInterval(flood);
    lns.destroy();
  }
}, 20_000);
