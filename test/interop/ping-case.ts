/**
 * The ping case shared by tap-ping.test.ts (static pseudowire over UDP) and ip-encap.test.ts (over
 * IP protocol 115): Host 1 / Host 2 peers in a fresh testbed, `ping 10.5.1.1` from Host 1's
 * namespace, both peers stopped, the bed torn down, then the checks every variant shares: all
 * pings answered, clean exits, counters that agree across the two peers.
 */
import { expect } from 'vitest';
import {
  counterProblems,
  type PeerCounters,
  type PeerFlags,
  Testbed,
} from '../../examples/linux-host/testbed.mjs';

export const PINGS = 3;

/** 8- and 4-octet cookies with sequencing both ways, mirrored at the two hosts. */
export const COOKIES = {
  host1: { cookie: '0102030405060708', peer_cookie: 'a1a2a3a4', seq: 'both' },
  host2: { cookie: 'a1a2a3a4', peer_cookie: '0102030405060708', seq: 'both' },
} as const;

export interface PingCase {
  readonly name: string;
  readonly host1: PeerFlags;
  readonly host2: PeerFlags;
}

/**
 * Runs one case (the bed is pushed on `beds` so afterAll can clean up after a failure) and
 * returns both peers' counters and ready lines for the variant's own checks.
 */
export async function pingCase(
  beds: Testbed[],
  c: PingCase,
  encap: 'udp' | 'ip',
  label: string,
): Promise<{
  a: PeerCounters;
  b: PeerCounters;
  info1: Record<string, unknown> | undefined;
  info2: Record<string, unknown> | undefined;
}> {
  const bed = Testbed.create();
  beds.push(bed);
  const host1 = await bed.startPeer(bed.a, { ...c.host1, encap });
  const host2 = await bed.startPeer(bed.b, { ...c.host2, encap });
  const ping = await bed.ping(bed.a, '10.5.1.1', PINGS);
  const s1 = await host1.stop();
  const s2 = await host2.stop();
  bed.destroy();
  console.log(`${label} (${c.name}): ${ping.output.trim().split('\n').slice(-2).join('; ')}`);

  expect(ping, ping.output).toMatchObject({
    code: 0,
    transmitted: PINGS,
    received: PINGS,
    lossPercent: 0,
  });
  expect(ping.rtt?.avg).toBeGreaterThan(0);
  expect(ping.rtt?.max).toBeLessThan(1000);
  expect(s1.cleanExit, s1.output).toBe(true);
  expect(s2.cleanExit, s2.output).toBe(true);
  const a = s1.counters as PeerCounters;
  const b = s2.counters as PeerCounters;
  expect(counterProblems(a, b, PINGS)).toEqual([]);
  return { a, b, info1: host1.info, info2: host2.info };
}
