// PppServer and PppSession additions for the VPN commands (issue #16), on the virtual network:
// IPv6CP with the server's one interface identifier and IPv6 link-local packets routed by the
// peer's identifier both ways; a client asking for IPv6CP from a server without it still comes
// up (IPv4 only); the server's 'auth' event on a refusal; a client's Terminate-Request reported
// on the server as peer-terminate, not as the lower layer going down.

import { describe, expect, test } from 'vitest';
import { ipv6LinkLocalInterfaceId, type PppServerOptions } from '../../src/ppp/server.js';
import type { PppUpInfo } from '../../src/ppp/session.js';
import type { PppReason } from '../../src/ppp/types.js';
import { VirtualNet } from '../switch/net.js';
import { pppClient, pppLns } from './helpers.js';

const LAC = { address: '10.0.0.1', port: 1701 };
const LNS = { address: '10.0.0.3', port: 1701 };
const SERVER_ID = Uint8Array.of(0x02, 0, 0, 0, 0, 0, 0, 0x01);

/** An IPv6 header (next header 59, no payload) from `src` to `dst` (16 octets each). */
function ipv6(src: Uint8Array, dst: Uint8Array): Uint8Array {
  const p = new Uint8Array(40);
  p[0] = 0x60;
  p[6] = 59;
  p[7] = 64;
  p.set(src, 8);
  p.set(dst, 24);
  return p;
}

const linkLocal = (id: Uint8Array) => {
  const a = new Uint8Array(16);
  a[0] = 0xfe;
  a[1] = 0x80;
  a.set(id, 8);
  return a;
};

function setup(server: Partial<PppServerOptions>, clientIpv6: boolean, password = 'wonderland') {
  const net = new VirtualNet(11);
  const { server: srv, port } = pppLns(net, LNS, {
    pool: '10.77.0.0/24',
    authenticate: ['pap'],
    verify: (r) =>
      r.method === 'pap' && r.password === 'wonderland'
        ? { ok: true }
        : { ok: false, message: `wrong password for ${r.peerName}` },
    ...server,
  });
  const client = pppClient(net, LAC, LNS, {
    credentials: { name: 'alice', password },
    ipv6: clientIpv6,
  });
  return { net, port, srv, client };
}

describe('PppServer: IPv6 link-local and the VPN additions', () => {
  test('IPv6CP with the server identifier; link-local packets routed by interface id', async () => {
    const s = setup({ ipv6: true, interfaceId: SERVER_ID }, true);
    expect(s.srv.localInterfaceId).toEqual(SERVER_ID);
    const ups: PppUpInfo[] = [];
    s.client.on('up', (i) => ups.push(i));
    expect(await s.net.until(() => ups.length === 1, 30_000)).toBe(true);
    const v6 = (ups[0] as PppUpInfo).ipv6cp;
    expect(v6?.peerInterfaceId).toEqual(SERVER_ID);
    const clientId = v6?.localInterfaceId as Uint8Array;
    // Client → port.
    const out = ipv6(linkLocal(clientId), linkLocal(SERVER_ID));
    expect(s.client.send(out)).toBe(true);
    await s.net.run(20);
    expect(s.port.written).toEqual([out]);
    // Port → the client owning the identifier; another identifier or a global address: dropped.
    const got: Uint8Array[] = [];
    s.client.on('packet', (p, protocol) => {
      expect(protocol).toBe(0x57);
      got.push(p.slice());
    });
    const back = ipv6(linkLocal(SERVER_ID), linkLocal(clientId));
    s.port.inject(back);
    const other = Uint8Array.from(clientId);
    other[7] = (other[7] as number) ^ 0xff;
    s.port.inject(ipv6(linkLocal(SERVER_ID), linkLocal(other)));
    const global = linkLocal(clientId);
    global[0] = 0x20;
    global[1] = 0x01;
    s.port.inject(ipv6(linkLocal(SERVER_ID), global));
    await s.net.run(20);
    expect(got).toEqual([back]);
    expect(s.srv.stats()).toMatchObject({ toPort: 1, fromPort: 1, unroutable: 2 });
  });

  test('a client asking for IPv6CP from a server without it comes up with IPv4 alone', async () => {
    const s = setup({}, true);
    expect(s.srv.localInterfaceId).toBeUndefined();
    const ups: PppUpInfo[] = [];
    s.client.on('up', (i) => ups.push(i));
    expect(await s.net.until(() => ups.length === 1, 30_000)).toBe(true);
    expect(ups[0]?.ipv6cp).toBeUndefined();
    expect(ups[0]?.ipcp.localAddress).toBe('10.77.0.2');
    expect(s.client.isUp).toBe(true);
  });

  test("the server's 'auth' event names a refusal", async () => {
    const s = setup({}, false, 'nope');
    const auth: [boolean, string | undefined][] = [];
    s.srv.on('auth', (_p, ok, message) => auth.push([ok, message]));
    expect(await s.net.until(() => s.client.downReason !== undefined, 30_000)).toBe(true);
    expect(auth).toHaveLength(1);
    expect(auth[0]?.[0]).toBe(false);
    expect(auth[0]?.[1]).toContain('wrong password for alice');
  });

  test("a client's close is the server's peer-terminate, even though the call is cleared", async () => {
    const s = setup({}, false);
    expect(await s.net.until(() => s.client.isUp, 30_000)).toBe(true);
    const downs: PppReason[] = [];
    s.srv.on('down', (_p, r) => downs.push(r));
    s.client.close('bye');
    expect(await s.net.until(() => downs.length === 1, 30_000)).toBe(true);
    expect(downs[0]).toMatchObject({ by: 'peer', code: 'peer-terminate' });
    expect(s.client.downReason).toMatchObject({ by: 'local', code: 'admin-close' });
  });

  test('ipv6LinkLocalInterfaceId: fe80::/64 unicast destinations only', () => {
    const id = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    expect(ipv6LinkLocalInterfaceId(ipv6(new Uint8Array(16), linkLocal(id)))).toBe(
      '0102030405060708',
    );
    const wide = linkLocal(id);
    wide[5] = 1; // fe80:0:0:1::/64 is link-local scope but not the /64 PPP uses
    expect(ipv6LinkLocalInterfaceId(ipv6(new Uint8Array(16), wide))).toBeUndefined();
    expect(ipv6LinkLocalInterfaceId(new Uint8Array(39))).toBeUndefined();
  });
});
