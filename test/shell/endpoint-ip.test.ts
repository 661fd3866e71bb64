/**
 * An Endpoint with encap 'ip': managed L2TPv3 over IP protocol 115 (RFC 3931 §4.1.1) through the
 * raw-IP transport, over a fake pair of raw sockets that prepend an IPv4 header like the kernel.
 * Control and data are told apart by the zero Session ID; peers have port 0.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Endpoint } from '../../src/endpoint.js';
import { UsageError } from '../../src/errors.js';
import { nodeClock, nodeRandomBytes, nodeTimers } from '../../src/node/clock.js';
import { nodeCrypto } from '../../src/node/crypto.js';
import { IpTransport, L2TP_IP_PROTOCOL, type RawSocketLike } from '../../src/node/ip.js';

/** Raw sockets on two addresses; a send reaches the other socket with an IPv4 header, later. */
class RawPair {
  readonly a: Raw;
  readonly b: Raw;
  constructor() {
    this.a = new Raw('10.0.0.1', this);
    this.b = new Raw('10.0.0.2', this);
  }
  other(s: Raw): Raw {
    return s === this.a ? this.b : this.a;
  }
}

class Raw extends EventEmitter implements RawSocketLike {
  packets = 0;
  readonly address: string;
  readonly pair: RawPair;
  constructor(address: string, pair: RawPair) {
    super();
    this.address = address;
    this.pair = pair;
  }
  send(
    buffer: Buffer,
    offset: number,
    length: number,
    address: string,
    cb: (e: Error | null | undefined, n: number) => void,
  ): void {
    const to = this.pair.other(this);
    const ip = Buffer.alloc(20 + length);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + length, 2);
    ip[8] = 64;
    ip[9] = L2TP_IP_PROTOCOL;
    ip.set(this.address.split('.').map(Number), 12);
    ip.set(address.split('.').map(Number), 16);
    buffer.copy(ip, 20, offset, offset + length);
    this.packets++;
    setImmediate(() => {
      to.emit('message', ip, this.address);
      cb(null, length);
    });
  }
  close(): void {}
}

const io = {
  clock: nodeClock,
  timers: nodeTimers,
  randomBytes: nodeRandomBytes,
  crypto: nodeCrypto,
};
const ethernet = (n: number) => Uint8Array.from({ length: 60 }, (_, i) => (i < 12 ? 2 : n + i));

describe('Endpoint over IP (encap ip)', () => {
  it('tunnel with digests, a session with cookies, Ethernet frames both ways, StopCCN', async () => {
    const pair = new RawPair();
    const lns = new Endpoint({
      ...io,
      encap: 'ip',
      transport: new IpTransport(pair.b),
      acceptTunnel: {
        mode: 'lns',
        version: 3,
        hostName: 'lns.ip',
        routerId: 2,
        secret: 'ip-secret',
        session: { cookieLength: 8 },
      },
    });
    const lac = new Endpoint({ ...io, encap: 'ip', transport: new IpTransport(pair.a) });
    const echoed = new Promise<void>((resolve) => {
      lns.on('tunnel', (t) =>
        t.on('frame', (s, f) => {
          s.send(f.slice());
          resolve();
        }),
      );
    });
    const tunnel = await lac.connect(
      { address: '10.0.0.2', port: 0 },
      { mode: 'lac', version: 3, routerId: 1, hostName: 'lac.ip', secret: 'ip-secret' },
    );
    expect(tunnel.info?.peerAuthenticated).toBe(true);
    const session = await tunnel.openSession({ cookieLength: 4 });
    const got: Uint8Array[] = [];
    session.on('frame', (f) => got.push(f.slice()));
    session.send(ethernet(1));
    await echoed;
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual([ethernet(1)]);
    expect(session.stats()).toMatchObject({ txPackets: 1, rxPackets: 1, rxCookieDiscards: 0 });
    expect(lns.tunnels.size).toBe(1);
    const [peerTunnel] = [...lns.tunnels.values()];
    const down = new Promise((r) => peerTunnel?.once('down', r));
    await Promise.race([tunnel.close(), new Promise((r) => setTimeout(r, 200))]);
    expect(await down).toMatchObject({ by: 'peer' });
    expect(lns.stats().datagramsInvalid).toBe(0);
    lac.destroy();
    lns.destroy();
  });

  it('refuses v2 tunnels and a tunnel encap that differs from the endpoint', () => {
    const pair = new RawPair();
    const ep = new Endpoint({ ...io, encap: 'ip', transport: new IpTransport(pair.a) });
    expect(() =>
      ep.tunnel({ address: '10.0.0.2', port: 0 }, { mode: 'lac', hostName: 'x' }),
    ).toThrow(UsageError);
    expect(() =>
      ep.tunnel(
        { address: '10.0.0.2', port: 0 },
        { mode: 'lac', version: 3, routerId: 1, encap: 'udp', hostName: 'x' },
      ),
    ).toThrow(UsageError);
    expect(
      () => new Endpoint({ ...io, encap: 'tcp' as 'ip', transport: new IpTransport(pair.b) }),
    ).toThrow(UsageError);
    ep.destroy();
  });
});
