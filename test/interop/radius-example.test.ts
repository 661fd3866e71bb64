/**
 * examples/radius-lns.mjs against a real freeradius (Debian 3.2): the example's `radiusVerify`
 * is the `verify` of a PppServer on an LNS Endpoint over loopback UDP, and l2tp-core client
 * PppSessions log in through a LAC Endpoint: PAP (User-Password), CHAP-MD5 (CHAP-Password +
 * CHAP-Challenge) and MS-CHAPv2 (MS-CHAP-Challenge + MS-CHAP2-Response, the client checking the
 * MS-CHAP2-Success authenticator response) come up with an address from the pool; a wrong
 * password is refused with freeradius's Reply-Message as the PAP Nak / CHAP Failure text, and an
 * unknown user too. The verifier alone: a wrong shared secret gets no believed answer.
 *
 * freeradius runs in the foreground (`-X`, its own process group) with a private config directory
 * (one users file, PAP, CHAP, MS-CHAP) on 127.0.0.1 and a free UDP port, and is killed after the
 * tests: no system service is started. Skipped with a message when freeradius is missing; fails
 * on CI (`CI` set), where scripts/install-peers.sh installs it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { radiusVerify } from '../../examples/radius-lns.mjs';
import { Endpoint } from '../../src/endpoint.js';
import { nodeClock, nodeRandomBytes, nodeTimers } from '../../src/node/clock.js';
import { nodeCrypto } from '../../src/node/crypto.js';
import { nodePppAuthCrypto } from '../../src/node/ppp-crypto.js';
import { UdpTransport } from '../../src/node/udp.js';
import { PppServer } from '../../src/ppp/server.js';
import { PppSession, type PppUpInfo } from '../../src/ppp/session.js';
import type { AuthProtocol, PppReason } from '../../src/ppp/types.js';
import type { PeerAddress } from '../../src/transport.js';
import { ensureBuilt } from '../package/dist.js';
import { FREERADIUS, writeFreeRadiusConfig } from './freeradius-config.js';
import { ProcessLog } from './process-log.js';
import { onCi } from './xl2tpd-harness.js';

const SECRET = 'radius-example-secret';
const USERS: Readonly<Record<string, string>> = { alice: 'wonderland', bob: 'builder' };
const REJECT_MESSAGE = 'RADIUS refused';

function availability(): { available: boolean; reason?: string } {
  if (process.platform !== 'linux') return { available: false, reason: 'not Linux' };
  if (!existsSync(FREERADIUS)) {
    return {
      available: false,
      reason: 'freeradius not found (run scripts/install-peers.sh as root)',
    };
  }
  return { available: true };
}

const AVAILABLE = availability();
if (!AVAILABLE.available) {
  console.warn(`radius-example: skipping the RADIUS example tests: ${AVAILABLE.reason}`);
}

/** A UDP port on 127.0.0.1 that nothing was bound to a moment ago. */
async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

class FreeRadius {
  readonly log = new ProcessLog('freeradius');
  #process: ChildProcess | undefined;
  #exit: Promise<void> = Promise.resolve();
  port = 0;
  dir = '';

  async start(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'l2tp-core-radius-'));
    this.port = await freeUdpPort();
    // One client (anyone on 127.0.0.1), PAP, CHAP and MS-CHAP against the users, and a
    // Reply-Message on every reject.
    await writeFreeRadiusConfig(this.dir, {
      client: { name: 'localhost', ipaddr: '127.0.0.1', secret: SECRET },
      requireMessageAuthenticator: true,
      authPort: this.port,
      mschap: true,
      rejectMessage: REJECT_MESSAGE,
      users: USERS,
    });
    // detached: its own process group, signalled as a group on stop.
    const p = spawn(FREERADIUS, ['-X', '-d', this.dir], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#process = p;
    p.stdout.on('data', (c: Buffer) => this.log.feed(c.toString('utf8')));
    p.stderr.on('data', (c: Buffer) => this.log.feed(c.toString('utf8')));
    this.#exit = new Promise((resolve) => {
      p.once('error', (e) => {
        this.log.close(`freeradius failed to start: ${e.message}`);
        resolve();
      });
      p.once('exit', (code, signal) => {
        this.log.close(`freeradius exited (code ${code}, signal ${signal})`);
        resolve();
      });
    });
    await this.log.waitFor(/^Ready to process requests/, { timeoutMs: 10_000 });
  }

  async stop(): Promise<void> {
    const pid = this.#process?.pid;
    if (pid !== undefined) {
      for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
        try {
          process.kill(-pid, signal);
        } catch {
          break; // the group is gone
        }
        const ended = await Promise.race([
          this.#exit.then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), 2000)),
        ]);
        if (ended) break;
      }
    }
    if (this.dir !== '') await rm(this.dir, { recursive: true, force: true });
  }
}

interface Login {
  readonly up?: PppUpInfo;
  readonly auth?: { ok: boolean; message: string | undefined };
  readonly down?: PppReason;
}

describe('RADIUS example interop', () => {
  it('freeradius is available (required on CI)', () => {
    expect(AVAILABLE.available || !onCi(), `freeradius missing on CI: ${AVAILABLE.reason}`).toBe(
      true,
    );
  });
});

describe.skipIf(!AVAILABLE.available)('examples/radius-lns.mjs against freeradius', () => {
  const radius = new FreeRadius();
  let verifier: ReturnType<typeof radiusVerify>;
  let lnsTransport: UdpTransport;
  let lns: Endpoint;
  let server: PppServer;
  const cleanups: (() => unknown)[] = [];
  const hostErrors: Error[] = [];

  beforeAll(async () => {
    await radius.start();
    verifier = radiusVerify({
      server: '127.0.0.1',
      port: radius.port,
      secret: SECRET,
      timeoutMs: 1000,
      retries: 1,
    });
    lnsTransport = await UdpTransport.open({ address: '127.0.0.1' });
    lns = new Endpoint({
      transport: lnsTransport,
      clock: nodeClock,
      timers: nodeTimers,
      randomBytes: nodeRandomBytes,
      crypto: nodeCrypto,
      acceptTunnel: { version: 2, mode: 'lns', hostName: 'lns.radius.test' },
    });
    server = new PppServer({
      pool: '10.77.0.0/24',
      clock: nodeClock,
      timers: nodeTimers,
      randomBytes: nodeRandomBytes,
      crypto: nodePppAuthCrypto,
      authenticate: ['mschapv2', 'chap-md5', 'pap'],
      verify: verifier.verify,
    });
    server.on('error', (e) => hostErrors.push(e));
    server.serve(lns);
  }, 20_000);

  afterAll(async () => {
    for (const c of cleanups.splice(0)) await c();
    server?.close();
    lns?.destroy();
    await lnsTransport?.close();
    verifier?.close();
    await radius.stop();
    if ((process.env.RADIUS_SHOW_LOG ?? '') !== '') process.stderr.write(`${radius.log.text}\n`);
  });

  /** One LAC with one call and a client PppSession; resolves when the link is up or down. */
  async function login(
    name: string,
    password: string,
    method: AuthProtocol,
    to: PeerAddress = lnsTransport.local,
  ): Promise<Login> {
    const transport = await UdpTransport.open({ address: '127.0.0.1' });
    const lac = new Endpoint({
      transport,
      clock: nodeClock,
      timers: nodeTimers,
      randomBytes: nodeRandomBytes,
      crypto: nodeCrypto,
    });
    cleanups.push(async () => {
      lac.destroy();
      await transport.close();
    });
    const session = lac.tunnel(to, { version: 2, mode: 'lac', hostName: 'lac' }).beginSession();
    const ppp = new PppSession(session, {
      role: 'client',
      clock: nodeClock,
      timers: nodeTimers,
      randomBytes: nodeRandomBytes,
      crypto: nodePppAuthCrypto,
      credentials: { name, password },
      authSupported: [method],
    });
    const result: { up?: PppUpInfo; auth?: NonNullable<Login['auth']>; down?: PppReason } = {};
    ppp.on('auth', (ok, message) => {
      result.auth = { ok, message };
    });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 10_000);
      ppp.on('up', (info) => {
        result.up = info;
        clearTimeout(timer);
        resolve();
      });
      ppp.on('down', (reason) => {
        result.down = reason;
        clearTimeout(timer);
        resolve();
      });
    });
    ppp.close('test done');
    return result;
  }

  const failure = () => `freeradius log:\n${radius.log.text}`;

  for (const method of ['pap', 'chap-md5', 'mschapv2'] as const) {
    it(`${method}: accepted by freeradius, the link comes up with a pool address`, async () => {
      const r = await login('alice', 'wonderland', method);
      expect(r.auth?.ok, failure()).toBe(true);
      expect(r.up?.lcp.authenticateSelf).toBe(method);
      expect(r.up?.ipcp.localAddress).toMatch(/^10\.77\.0\.\d+$/);
      expect(hostErrors).toEqual([]);
    });
  }

  for (const method of ['pap', 'chap-md5', 'mschapv2'] as const) {
    it(`${method}: a wrong password is refused with freeradius's Reply-Message`, async () => {
      const r = await login('bob', 'not-the-builder', method);
      expect(r.up).toBeUndefined();
      expect(r.auth?.ok, failure()).toBe(false);
      expect(r.auth?.message).toMatch(new RegExp(`: ${REJECT_MESSAGE} bob$`));
      expect(r.down?.code).toBe('auth-failed');
    });
  }

  it('pap: an unknown user is refused', async () => {
    const r = await login('mallory', 'wonderland', 'pap');
    expect(r.auth?.ok).toBe(false);
    expect(r.auth?.message).toMatch(new RegExp(`: ${REJECT_MESSAGE} mallory$`));
  });

  it('a verifier with the wrong shared secret believes no answer and gives up', async () => {
    const wrong = radiusVerify({
      server: '127.0.0.1',
      port: radius.port,
      secret: 'not-the-secret',
      timeoutMs: 300,
      retries: 1,
    });
    try {
      const request = {
        type: 'verify',
        method: 'pap',
        token: 1,
        peerName: 'alice',
        peerNameBytes: new TextEncoder().encode('alice'),
        password: 'wonderland',
        passwordBytes: new TextEncoder().encode('wonderland'),
      } as const;
      await expect(wrong.verify(request)).rejects.toThrow(/no answer from RADIUS server/);
    } finally {
      wrong.close();
    }
  });

  it('the whole example LNS (startRadiusLns, on the built package): a CHAP login comes up', async () => {
    await ensureBuilt();
    const example = await import('../../examples/radius-lns.mjs');
    const lns2 = await example.startRadiusLns({
      address: '127.0.0.1',
      port: 0,
      radius: { server: '127.0.0.1', port: radius.port, secret: SECRET, timeoutMs: 1000 },
    });
    const errors: Error[] = [];
    lns2.server.on('error', (e: Error) => errors.push(e));
    const names: (string | undefined)[] = [];
    lns2.server.on('up', (_ppp: unknown, info: PppUpInfo) => names.push(info.peerName));
    try {
      const r = await login('alice', 'wonderland', 'chap-md5', lns2.transport.local);
      expect(r.auth?.ok, failure()).toBe(true);
      expect(r.up?.ipcp.localAddress).toMatch(/^10\.77\.0\.\d+$/);
      expect(names).toEqual(['alice']); // that LNS, not the one above
      expect(errors).toEqual([]);
    } finally {
      await lns2.close();
    }
  }, 120_000);
});
