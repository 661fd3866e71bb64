// PPP over real L2TP sessions on the virtual network (issue #16): a client PppSession on a LAC's
// call and a PppServer on the LNS — authentication with each protocol, an address from the pool,
// IPv4 packets to the host port and back, between two clients (hairpin), a wrong password failing
// at once with the server's message, and the L2TP call cleared when the link ends.

import { describe, expect, test } from 'vitest';
import { nodeRandomBytes } from '../../src/node/clock.js';
import { nodePppAuthCrypto } from '../../src/node/ppp-crypto.js';
import type { VerifyRequest } from '../../src/ppp/auth/types.js';
import { PppServer } from '../../src/ppp/server.js';
import { PppSession, type PppUpInfo } from '../../src/ppp/session.js';
import type { AuthProtocol } from '../../src/ppp/types.js';
import { endpointAt, VirtualNet } from '../switch/net.js';
import { ipv4, pppClient, pppLns } from './helpers.js';

const LAC = { address: '10.0.0.1', port: 1701 };
const LAC2 = { address: '10.0.0.5', port: 1701 };
const LNS = { address: '10.0.0.3', port: 1701 };
const USERS: Record<string, string> = { alice: 'wonderland', bob: 'builder' };

// Answers as a users file would: by password for PAP and MS-CHAPv2, the secret for CHAP-MD5.
async function verify(req: VerifyRequest) {
  await Promise.resolve(); // the host answers later, as RADIUS would
  const password = USERS[req.peerName];
  if (password === undefined) return { ok: false, message: `no user ${req.peerName}` };
  if (req.method === 'pap') {
    return req.password === password
      ? { ok: true, message: 'welcome' }
      : { ok: false, message: 'wrong password' };
  }
  if (req.method === 'chap-md5') return { secret: password };
  return { password };
}

function setup(serverAuth: readonly AuthProtocol[] = ['mschapv2', 'chap-md5', 'pap']) {
  const net = new VirtualNet(9);
  const { server, port } = pppLns(net, LNS, {
    pool: '10.77.0.0/24',
    authenticate: serverAuth,
    verify,
    dns: ['10.77.0.53'],
  });
  const client = async (
    at: typeof LAC,
    name: string,
    password: string,
    authSupported?: readonly AuthProtocol[],
  ) =>
    pppClient(net, at, LNS, {
      credentials: { name, password },
      ...(authSupported === undefined ? {} : { authSupported }),
    });
  return { net, port, server, client };
}

describe('PPP over L2TPv2: client PppSession ↔ PppServer', () => {
  for (const method of ['pap', 'chap-md5', 'mschapv2'] as const) {
    test(`${method}: authenticated, an address from the pool, packets both ways`, async () => {
      const s = setup([method]);
      const ppp = await s.client(LAC, 'alice', 'wonderland');
      const ups: PppUpInfo[] = [];
      const serverUps: PppUpInfo[] = [];
      ppp.on('up', (i) => ups.push(i));
      s.server.on('up', (_p, i) => serverUps.push(i));
      expect(await s.net.until(() => ups.length === 1, 30_000)).toBe(true);
      const up = ups[0] as PppUpInfo;
      expect(up.ipcp.localAddress).toBe('10.77.0.2');
      expect(up.ipcp.peerAddress).toBe('10.77.0.1');
      expect(up.ipcp.primaryDns).toBe('10.77.0.53');
      expect(up.lcp.authenticateSelf).toBe(method);
      expect(serverUps[0]?.peerName).toBe('alice');
      // Client → host network, and back.
      const out = ipv4('10.77.0.2', '192.0.2.7', [1, 2, 3, 4]);
      expect(ppp.send(out)).toBe(true);
      await s.net.run(20);
      expect(s.port.written).toEqual([out]);
      const back = ipv4('192.0.2.7', '10.77.0.2', [5, 6]);
      const got: Uint8Array[] = [];
      ppp.on('packet', (p, protocol) => {
        expect(protocol).toBe(0x21);
        got.push(p.slice());
      });
      s.port.inject(back);
      await s.net.run(20);
      expect(got).toEqual([back]);
      expect(s.server.stats()).toMatchObject({
        sessionsUp: 1,
        toPort: 1,
        fromPort: 1,
        unroutable: 0,
      });
    });
  }

  test('two clients reach each other through the server (hairpin), addresses distinct', async () => {
    const s = setup();
    const a = await s.client(LAC, 'alice', 'wonderland');
    const b = await s.client(LAC2, 'bob', 'builder');
    expect(await s.net.until(() => a.isUp && b.isUp, 30_000)).toBe(true);
    const got: Uint8Array[] = [];
    b.on('packet', (p) => got.push(p.slice()));
    const p = ipv4('10.77.0.2', '10.77.0.3', [9, 9, 9]);
    a.send(p);
    await s.net.run(20);
    expect(got).toEqual([p]);
    expect(s.server.stats()).toMatchObject({ sessionsUp: 2, hairpin: 1 });
  });

  test('a wrong password fails at once with the server’s message; the L2TP call is cleared', async () => {
    const s = setup(['pap']);
    const ppp = await s.client(LAC, 'alice', 'not-it');
    const auth: [boolean, string | undefined][] = [];
    const t0 = s.net.clock.now();
    let authAt = -1;
    ppp.on('auth', (ok, message) => {
      auth.push([ok, message]);
      authAt = s.net.clock.now() - t0;
    });
    expect(await s.net.until(() => ppp.downReason !== undefined, 30_000)).toBe(true);
    expect(authAt).toBeGreaterThanOrEqual(0);
    expect(authAt).toBeLessThan(50); // a few round trips of 1 ms: no retry, no timer
    expect(auth).toHaveLength(1);
    expect(auth[0]?.[0]).toBe(false);
    expect(auth[0]?.[1]).toContain('wrong password'); // the server's own text
    expect(ppp.downReason).toMatchObject({ code: 'auth-failed' });
    expect(await s.net.until(() => ppp.session.downReason !== undefined, 5_000)).toBe(true);
    expect(s.server.stats().sessions).toBe(0);
  });

  test('the server restarts LCP while Opened: both ends renegotiate, report it, and carry on', async () => {
    const s = setup(['chap-md5']);
    const ppp = await s.client(LAC, 'alice', 'wonderland');
    let serverPpp: PppSession | undefined;
    s.server.on('up', (p) => {
      serverPpp = p;
    });
    expect(await s.net.until(() => ppp.isUp && serverPpp !== undefined, 30_000)).toBe(true);
    const again: PppUpInfo[] = [];
    const serverAgain: PppUpInfo[] = [];
    ppp.on('renegotiated', (i) => again.push(i));
    s.server.on('renegotiated', (p, i) => {
      expect(p).toBe(serverPpp);
      serverAgain.push(i);
    });
    let ups = 0;
    ppp.on('up', () => ups++);
    // RFC 1661 §4.3: a Configure-Request (no options) in Opened: This-Layer-Down, a new round.
    serverPpp?.session.send(Uint8Array.of(0xff, 0x03, 0xc0, 0x21, 1, 0x77, 0, 4));
    expect(await s.net.until(() => again.length === 1 && serverAgain.length === 1, 30_000)).toBe(
      true,
    );
    expect(ups).toBe(0); // 'up' is once
    expect(again[0]?.ipcp.localAddress).toBe('10.77.0.2'); // the same call keeps its address
    expect(serverAgain[0]?.ipcp.peerAddress).toBe('10.77.0.2');
    expect(ppp.isUp && serverPpp?.isUp).toBe(true);
    const out = ipv4('10.77.0.2', '192.0.2.7', [7]);
    expect(ppp.send(out)).toBe(true);
    await s.net.run(20);
    expect(s.port.written).toEqual([out]);
    await s.net.run(5_000);
    expect(again).toHaveLength(1); // once per renegotiation
  });

  test('closing the client terminates the link and clears the call; the address is free again', async () => {
    const s = setup();
    const ppp = await s.client(LAC, 'bob', 'builder');
    expect(await s.net.until(() => ppp.isUp, 30_000)).toBe(true);
    const free = s.server.stats().addressesFree;
    ppp.close('bye');
    expect(await s.net.until(() => ppp.session.downReason !== undefined, 10_000)).toBe(true);
    expect(await s.net.until(() => s.server.stats().sessions === 0, 10_000)).toBe(true);
    expect(s.server.stats().addressesFree).toBe(free + 1);
  });
});

describe('a peer that refuses a login by clearing the call (l2tpns does)', () => {
  test('the client reports an authentication failure with the CDN’s words, not lower-down', async () => {
    const net = new VirtualNet(13);
    const lns = endpointAt(net, LNS, { version: 2, mode: 'lns', hostName: 'lns' });
    // A server whose verify never answers; the test clears the call when the PAP request comes.
    const server = new PppServer({
      pool: '10.78.0.0/24',
      clock: net.clock,
      timers: net.timers,
      randomBytes: nodeRandomBytes,
      crypto: nodePppAuthCrypto,
      authenticate: ['pap'],
      verify: () => new Promise(() => {}),
    });
    server.serve(lns);
    lns.on('tunnel', (t) =>
      t.on('session-up', (s) =>
        s.on('frame', (f) => {
          if (f[0] === 0xc0 && f[1] === 0x23)
            s.close({ resultCode: 3, message: 'Authentication rejected' });
        }),
      ),
    );
    const lac = endpointAt(net, LAC);
    const ppp = new PppSession(
      lac.tunnel(LNS, { version: 2, mode: 'lac', hostName: 'lac' }).beginSession(),
      {
        role: 'client',
        clock: net.clock,
        timers: net.timers,
        randomBytes: nodeRandomBytes,
        crypto: nodePppAuthCrypto,
        credentials: { name: 'alice', password: 'x' },
      },
    );
    const auths: [boolean, string | undefined][] = [];
    ppp.on('auth', (ok, m) => auths.push([ok, m]));
    expect(await net.until(() => ppp.downReason !== undefined, 10_000)).toBe(true);
    const message =
      'the peer cleared the call during authentication (CDN Result 3: Authentication rejected)';
    expect(auths).toEqual([[false, message]]);
    expect(ppp.downReason).toEqual({ by: 'peer', code: 'auth-failed', message });
  });
});
