/**
 * A UDP port that was free a moment ago: bound on `address`, read, released. Nothing listens on
 * it afterwards (an unanswered peer), and it can be bound again (to learn a port before binding).
 */
import { UdpTransport } from '../../src/node/udp.js';

export async function releasedUdpPort(address = '127.0.0.1'): Promise<number> {
  const probe = await UdpTransport.open({ address });
  const port = probe.local.port;
  await probe.close();
  return port;
}
