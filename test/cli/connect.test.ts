/**
 * `l2tp-core connect` and `l2tp-core lns --ppp` without root: option parsing and usage errors,
 * the users file and its verifier, the TUN module missing or refused (exit 1, a clear message),
 * and both commands in-process over loopback UDP with a TUN double and a recording `ip`: the
 * commands that configure the TUN, IPv4 packets both ways through the tunnel, the routes, the
 * teardown on a signal (PPP Terminate, CDN, StopCCN, TUN closed), a wrong password failing at
 * once with the LNS's message. The real TUN, namespaces, ping and iperf3:
 * test/interop/ppp-vpn.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ConnectOptions,
  parseConnectArgs,
  parsePeer,
  reconfigureCommands,
  runConnect,
} from '../../src/cli/connect.js';
import { runLns } from '../../src/cli/lns.js';
import { ExitCode, main } from '../../src/cli/main.js';
import {
  linkLocal,
  loadTunHost,
  parseAuthList,
  parseIpv4Prefix,
  parseIpv6Prefix,
  parseRoutePrefix,
  parseUsersFile,
  type TunDevice,
  type TunHost,
  TunUnavailable,
  usersVerifier,
} from '../../src/cli/ppp-host.js';
import { type LnsOptions, parseLnsArgs, type RunIo } from '../../src/cli/run.js';
import { Endpoint } from '../../src/endpoint.js';
import { nodeClock, nodeRandomBytes, nodeTimers } from '../../src/node/clock.js';
import { nodePppAuthCrypto } from '../../src/node/ppp-crypto.js';
import { UdpTransport } from '../../src/node/udp.js';
import type { PapVerifyRequest } from '../../src/ppp/auth/types.js';
import { PppServer } from '../../src/ppp/server.js';
import type { PppSession, PppUpInfo } from '../../src/ppp/session.js';
import { ipv4, MemPort } from '../ppp/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'l2tp-connect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const USERS = join(dir, 'users');
writeFileSync(USERS, '# test users\nalice wonderland\n\n"bob smith" "the builder"  # trailing\n');

function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = main(argv, {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    readFile: () => new Uint8Array(),
  });
  return { code, out, err };
}

describe('connect: options', () => {
  const base = ['--peer', '192.0.2.1', '--user', 'alice', '--password', 'pw'];

  it('parses the flags, with defaults', () => {
    const o = parseConnectArgs([
      ...base,
      ...['--route', '10.99.1.7/16', '--route', '0.0.0.0/0', '--auth', 'chap,pap'],
      ...['--tun', 'vpn0', '--mtu', '1300', '--ipv6', '--lcp-echo', '5', '--secret', 's'],
    ]) as ConnectOptions;
    expect(o).toMatchObject({
      peer: '192.0.2.1',
      peerPort: 1701,
      user: 'alice',
      password: 'pw',
      auth: ['chap-md5', 'pap'],
      routes: ['10.99.0.0/16', '0.0.0.0/0'],
      tun: 'vpn0',
      mtu: 1300,
      ipv6: true,
      echoMs: 5000,
      echoFailures: 3,
      secret: 's',
      setupTimeoutMs: 30_000,
    });
    expect(parseConnectArgs(base)).toMatchObject({
      auth: ['mschapv2', 'chap-md5', 'pap'],
      tun: 'l2tp-ppp0',
      mtu: 1400,
      routes: [],
      ipv6: false,
      echoMs: 10_000,
    });
  });

  it('--sockbuf BYTES on connect and lns (default: 4 MiB when the socket is opened)', () => {
    expect((parseConnectArgs(base) as ConnectOptions).sockbuf).toBeUndefined();
    expect(parseConnectArgs([...base, '--sockbuf', '1048576'])).toMatchObject({
      sockbuf: 1_048_576,
    });
    expect(parseConnectArgs([...base, '--sockbuf', '0'])).toMatchObject({ sockbuf: 0 });
    expect(() => parseConnectArgs([...base, '--sockbuf', '4M'])).toThrow(/--sockbuf/);
    expect((parseLnsArgs(['--sockbuf', '8388608']) as LnsOptions).sockbuf).toBe(8_388_608);
    expect((parseLnsArgs([]) as LnsOptions).sockbuf).toBeUndefined();
  });

  it('--peer HOST[:PORT], [V6]:PORT', () => {
    expect(parsePeer('lns.example')).toEqual({ host: 'lns.example', port: 1701 });
    expect(parsePeer('192.0.2.1:1702')).toEqual({ host: '192.0.2.1', port: 1702 });
    expect(parsePeer('[2001:db8::1]:99')).toEqual({ host: '2001:db8::1', port: 99 });
    expect(parsePeer('2001:db8::1')).toEqual({ host: '2001:db8::1', port: 1701 });
    expect(() => parsePeer('a:b:c')).toThrow(/expected HOST/);
    expect(() => parsePeer('h:0')).toThrow(/1…65535/);
  });

  it('usage errors exit 2 with the reason; --help exits 0', () => {
    const cases: [string[], RegExp][] = [
      [['--user', 'a', '--password', 'b'], /--peer HOST is required/],
      [['--peer', '192.0.2.1', '--password', 'b'], /--user NAME is required/],
      [['--peer', '192.0.2.1', '--user', 'a'], /--password PASS is required/],
      [[...base, '--auth', 'eap'], /--auth: unknown protocol "eap"/],
      [[...base, '--route', '10.0.0.0/33'], /--route: expected an IPv4 prefix/],
      [[...base, '--route', '2001:db8::/48'], /--route 2001:db8::\/48: an IPv6 route needs --ipv6/],
      [[...base, '--ipv6', '--route', '2001:db8::/129'], /--route: expected an IPv6 prefix/],
      [[...base, '--tun', 'a/b'], /--tun: not an interface name/],
      [[...base, '--version', '3'], /unknown option --version/],
      [[...base, '--mtu', '100'], /--mtu: expected an integer in 576…65535/],
    ];
    for (const [args, message] of cases) {
      const r = run(['connect', ...args]);
      expect(r.code, args.join(' ')).toBe(ExitCode.USAGE);
      expect(r.err).toMatch(message);
      expect(r.err).toContain('l2tp-core connect --help');
    }
    const help = run(['connect', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: l2tp-core connect --peer HOST[:PORT]');
    expect(help.out).not.toContain('--cookie');
    expect(help.out).not.toContain('--version 2|3');
    expect(run(['--help']).out).toContain('connect    an L2TP/PPP VPN client');
  });
});

describe('lns --ppp: options', () => {
  it('parses the PPP flags', () => {
    const o = parseLnsArgs([
      ...['--ppp', '--pool', '10.77.0.9/24', '--users', 'u.txt', '--dns', '10.77.0.53'],
      ...['--auth', 'pap', '--tun', 'vpn0', '--ipv6'],
    ]) as LnsOptions;
    expect(o.ppp).toMatchObject({
      pool: '10.77.0.0/24',
      users: 'u.txt',
      dns: ['10.77.0.53'],
      auth: ['pap'],
      tun: 'vpn0',
      mtu: 1400,
      ipv6: true,
    });
    expect((parseLnsArgs([]) as LnsOptions).ppp).toBeUndefined();
    const v6 = parseLnsArgs([
      ...['--ppp', '--pool', '10.77.0.0/24', '--users', 'u', '--ipv6-pool', '2001:DB8:77:5::/48'],
    ]) as LnsOptions;
    expect(v6.ppp).toMatchObject({ ipv6: true, ipv6Pool: '2001:db8:77::/48' });
  });

  it('usage errors', () => {
    const cases: [string[], RegExp][] = [
      [['--ppp', '--users', 'u'], /--ppp needs --pool/],
      [['--ppp', '--pool', '10.77.0.0/24'], /--ppp needs --users/],
      [['--pool', '10.77.0.0/24'], /--pool applies to --ppp only/],
      [['--ppp', '--pool', '10.0.0.0/4', '--users', 'u'], /\/8 or longer/],
      [['--ppp', '--pool', '10.0.0.0/24', '--users', 'u', '--version', '3'], /L2TPv2/],
      [['--ppp', '--pool', '10.0.0.0/24', '--users', 'u', '--dns', 'x'], /--dns: not an IPv4/],
      [
        ['--ppp', '--pool', '10.0.0.0/24', '--users', 'u', '--ipv6-pool', '2001:db8::/64'],
        /--ipv6-pool: expected an IPv6 prefix like 2001:db8:77::\/48 \(\/16…\/63\)/,
      ],
      [['--ipv6-pool', '2001:db8::/48'], /--ipv6-pool applies to --ppp only/],
    ];
    for (const [args, message] of cases) {
      const r = run(['lns', ...args]);
      expect(r.code, args.join(' ')).toBe(ExitCode.USAGE);
      expect(r.err).toMatch(message);
    }
    expect(run(['lns', '--help']).out).toContain('--ppp ');
  });
});

describe('ppp-host', () => {
  it('users file: names and passwords, quotes, comments; errors name the line', () => {
    const users = parseUsersFile(
      '# c\nalice wonderland\n  bob\tsecret \n"bob smith" "the builder" # x\n"q\\"x" p\ncarol pa#ss # note\n',
    );
    expect([...users]).toEqual([
      ['alice', 'wonderland'],
      ['bob', 'secret'],
      ['bob smith', 'the builder'],
      ['q"x', 'p'],
      ['carol', 'pa#ss'],
    ]);
    expect(() => parseUsersFile('alice\n')).toThrow(/line 1: expected "name password"/);
    expect(() => parseUsersFile('a b\nx y z\n')).toThrow(/line 2/);
    expect(() => parseUsersFile('a b\na c\n')).toThrow(/line 2: a is listed twice/);
    expect(() => parseUsersFile('"a b\n')).toThrow(/line 1/);
  });

  it('the verifier names why it refuses', () => {
    const verify = usersVerifier(new Map([['alice', 'wonderland']]), nodePppAuthCrypto);
    const pap = (name: string, password: string): PapVerifyRequest => ({
      type: 'verify',
      method: 'pap',
      token: 1,
      peerName: name,
      peerNameBytes: new TextEncoder().encode(name),
      password,
      passwordBytes: new TextEncoder().encode(password),
    });
    expect(verify(pap('alice', 'wonderland'))).toEqual({ ok: true });
    expect(verify(pap('alice', 'x'))).toEqual({ ok: false, message: 'wrong password for alice' });
    expect(verify(pap('eve', 'x'))).toEqual({ ok: false, message: 'unknown user eve' });
  });

  it('prefixes, auth lists, link-local addresses', () => {
    expect(parseIpv4Prefix('--x', '10.1.2.3/8')).toMatchObject({ text: '10.0.0.0/8' });
    expect(parseIpv4Prefix('--x', '10.1.2.3')).toMatchObject({ text: '10.1.2.3/32' });
    expect(parseAuthList('MS-CHAPv2, pap,pap')).toEqual(['mschapv2', 'pap']);
    expect(linkLocal(Uint8Array.of(0, 1, 0, 0, 0xab, 0xcd, 0, 0x10))).toBe('fe80::1:0:abcd:10');
    expect(parseIpv6Prefix('--x', '2001:db8:ff:ff::1/52')).toMatchObject({
      text: '2001:db8:ff::/52',
    });
    expect(parseIpv6Prefix('--x', '::1')).toMatchObject({ text: '::1/128' });
    expect(parseRoutePrefix('--x', '::/0').text).toBe('::/0');
    expect(parseRoutePrefix('--x', '10.1.0.0/16').text).toBe('10.1.0.0/16');
    expect(() => parseIpv6Prefix('--x', '2001:db8::/48', 56, 63)).toThrow(/\/56…\/63/);
  });

  it('a missing TUN module: TunUnavailable with how to build it', async () => {
    const err = await loadTunHost({ L2TP_CORE_TUN_MODULE: join(dir, 'nope.mjs') }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TunUnavailable);
    expect((err as Error).message).toMatch(
      /cannot load .*nope\.mjs.*npm ci --prefix examples\/linux-host/,
    );
    writeFileSync(join(dir, 'empty.mjs'), 'export const x = 1;\n');
    await expect(loadTunHost({ L2TP_CORE_TUN_MODULE: join(dir, 'empty.mjs') })).rejects.toThrow(
      /exports no openTun/,
    );
  });
});

// --- in-process runs with a TUN double ------------------------------------------------------------

// MemPort's written packets and inject(), which stands for a packet the kernel routes into it.
class FakeTun extends MemPort implements TunDevice {
  closed = false;
  readonly name: string;
  constructor(name: string) {
    super();
    this.name = name;
  }
  close(): void {
    this.closed = true;
  }
}

class FakeHost implements TunHost {
  readonly ipCalls: string[] = [];
  tun: FakeTun | undefined;
  readonly refuse: string | undefined;
  constructor(refuse?: string) {
    this.refuse = refuse;
  }
  openTun(name: string): TunDevice {
    if (this.refuse !== undefined) throw new Error(this.refuse);
    this.tun = new FakeTun(name);
    return this.tun;
  }
  async ip(args: readonly string[]): Promise<void> {
    this.ipCalls.push(args.join(' '));
  }
  async enableIpv6(): Promise<void> {}
}

function testIo(tunHost: TunHost) {
  let out = '';
  let err = '';
  let signal: ((s: string) => void) | undefined;
  const io: RunIo & { tunHost: TunHost } = {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    isTTY: false,
    onSignal: (h) => {
      signal = h;
      return () => {
        signal = undefined;
      };
    },
    wallClockMs: () => Date.now(),
    tunHost,
  };
  const events = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const event = async (name: string, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const e = events().find((x) => x.event === name);
      if (e !== undefined) return e;
      if (Date.now() > deadline) throw new Error(`no ${name}:\n${out}\n${err}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return {
    io,
    events,
    event,
    out: () => out,
    err: () => err,
    signal: (s = 'SIGINT') => signal?.(s),
  };
}

async function startLns(extra: readonly string[] = []) {
  const host = new FakeHost();
  const t = testIo(host);
  const o = parseLnsArgs([
    ...['--ppp', '--pool', '10.77.0.0/24', '--users', USERS, '--dns', '10.77.0.53'],
    ...['--local', '127.0.0.1', '--port', '0', '--json', '--retransmit-ms', '200'],
    ...extra,
  ]) as LnsOptions;
  const done = runLns(o, t.io);
  const listening = await t.event('listening');
  const port = Number(String(listening.local).split(':')[1]);
  return { host, t, done, port };
}

describe('connect ↔ lns --ppp in-process (loopback UDP, TUN double)', () => {
  it('no TUN permission: exit 1 naming root / CAP_NET_ADMIN, nothing sent', async () => {
    const t = testIo(new FakeHost('ioctl TUNSETIFF: Operation not permitted'));
    const o = parseConnectArgs([
      ...['--peer', '127.0.0.1:9', '--user', 'a', '--password', 'b'],
    ]) as ConnectOptions;
    expect(await runConnect(o, t.io)).toBe(ExitCode.RUNTIME_FAILURE);
    expect(t.err()).toContain(
      'l2tp-core connect: cannot create TUN device l2tp-ppp0: ioctl TUNSETIFF: Operation not permitted (needs root or CAP_NET_ADMIN)',
    );
    expect(t.out()).toBe('');
  });

  it('an unreadable users file: lns exits 2', async () => {
    const t = testIo(new FakeHost());
    const o = parseLnsArgs([
      ...['--ppp', '--pool', '10.77.0.0/24', '--users', join(dir, 'missing')],
    ]) as LnsOptions;
    expect(await runLns(o, t.io)).toBe(ExitCode.USAGE);
    expect(t.err()).toMatch(/--users .*missing: ENOENT/);
  });

  it('up, TUN configured, packets both ways, routes; SIGINT tears everything down', async () => {
    const lns = await startLns();
    expect(lns.host.ipCalls).toEqual([
      'link set dev l2tp0 mtu 1400',
      'addr add 10.77.0.1/24 dev l2tp0',
      'link set dev l2tp0 up',
    ]);
    const host = new FakeHost();
    const c = testIo(host);
    const o = parseConnectArgs([
      ...['--peer', `127.0.0.1:${lns.port}`, '--user', 'bob smith', '--password', 'the builder'],
      ...['--route', '10.99.0.0/24', '--tun', 'vpn0', '--json', '--retransmit-ms', '200'],
    ]) as ConnectOptions;
    const done = runConnect(o, c.io);
    const up = await c.event('ppp-up');
    expect(up).toMatchObject({
      tun: 'vpn0',
      local: '10.77.0.2',
      peer: '10.77.0.1',
      dns: ['10.77.0.53'],
      auth: 'mschapv2',
    });
    expect(host.ipCalls).toEqual([
      'link set dev vpn0 mtu 1400',
      'addr add 10.77.0.2 peer 10.77.0.1 dev vpn0',
      'link set dev vpn0 up',
      'route replace 10.99.0.0/24 dev vpn0',
    ]);
    expect(await lns.t.event('ppp-up')).toMatchObject({ user: 'bob smith', address: '10.77.0.2' });
    const ctun = host.tun as FakeTun;
    const stun = lns.host.tun as FakeTun;
    const out = ipv4('10.77.0.2', '10.99.0.1', [1, 2, 3]);
    ctun.inject(out);
    const back = ipv4('10.99.0.1', '10.77.0.2', [4, 5]);
    for (let i = 0; i < 200 && stun.written.length === 0; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(stun.written).toEqual([out]);
    stun.inject(back);
    for (let i = 0; i < 200 && ctun.written.length === 0; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(ctun.written).toEqual([back]);

    c.signal();
    expect(await done).toBe(ExitCode.OK);
    expect(ctun.closed).toBe(true);
    const names = c.events().map((e) => e.event);
    expect(names).toEqual(expect.arrayContaining(['ppp-down', 'session-down', 'tunnel-down']));
    expect(c.events().find((e) => e.event === 'disconnected')).toMatchObject({
      packetsToPeer: 1,
      packetsFromPeer: 1,
      exitCode: 0,
    });
    expect(await lns.t.event('ppp-down')).toMatchObject({ by: 'peer', code: 'peer-terminate' });
    lns.t.signal();
    expect(await lns.done).toBe(ExitCode.OK);
    expect(stun.closed).toBe(true);
    expect(await lns.t.event('ppp-summary')).toMatchObject({ toPort: 1, fromPort: 1 });
  });

  it('--ipv6-pool: the LNS address and route, the client’s global address and IPv6 route', async () => {
    const lns = await startLns(['--ipv6-pool', '2001:db8:77::/48']);
    const ready = await lns.t.event('ppp-ready');
    expect(ready).toMatchObject({ global6: '2001:db8:77::1/48', ipv6Pool: '2001:db8:77::/48' });
    expect(lns.host.ipCalls).toContain('-6 addr add 2001:db8:77::1/48 dev l2tp0 nodad');
    const host = new FakeHost();
    const c = testIo(host);
    const o = parseConnectArgs([
      ...['--peer', `127.0.0.1:${lns.port}`, '--user', 'alice', '--password', 'wonderland'],
      ...['--ipv6', '--route', '2001:db8:77::/48', '--tun', 'vpn0', '--json'],
      ...['--retransmit-ms', '200'],
    ]) as ConnectOptions;
    const done = runConnect(o, c.io);
    const up = await c.event('ppp-up');
    const got = await c.event('ipv6-address');
    const iid = String(up.local6).slice('fe80::'.length);
    expect(got).toMatchObject({
      tun: 'vpn0',
      address: `2001:db8:77:1:${iid}`,
      prefix: '2001:db8:77:1::/64',
      router: up.peer6,
    });
    expect(host.ipCalls).toContain(`-6 route replace 2001:db8:77::/48 via ${up.peer6} dev vpn0`);
    expect(host.ipCalls.at(-1)).toBe(`-6 addr add 2001:db8:77:1:${iid}/64 dev vpn0 nodad`);
    expect(await lns.t.event('ppp-up')).toMatchObject({ prefix6: '2001:db8:77:1::/64' });
    // The Router Advertisement went to connect, not to the kernel through the TUN.
    expect((host.tun as FakeTun).written).toEqual([]);
    c.signal();
    expect(await done).toBe(ExitCode.OK);
    lns.t.signal();
    expect(await lns.done).toBe(ExitCode.OK);
    expect(await lns.t.event('ppp-summary')).toMatchObject({ routerAdvertisements: 1 });
  });

  it('no protocol in common: LCP refuses, exit 1 naming it', async () => {
    const lns = await startLns(['--auth', 'mschapv2']);
    const c = testIo(new FakeHost());
    const o = parseConnectArgs([
      ...['--peer', `127.0.0.1:${lns.port}`, '--user', 'alice', '--password', 'wonderland'],
      ...['--auth', 'chap', '--json', '--timeout', '10'],
    ]) as ConnectOptions;
    expect(await runConnect(o, c.io)).toBe(ExitCode.RUNTIME_FAILURE);
    // The LNS clears the call with its PPP reason in the CDN's message.
    expect(c.err()).toMatch(/PPP auth-refused: the peer Nak’d every authentication protocol/);
    lns.t.signal();
    expect(await lns.done).toBe(ExitCode.OK);
  });

  it('a wrong password: exit 1 at once with the LNS’s message, TUN closed', async () => {
    const lns = await startLns();
    const host = new FakeHost();
    const c = testIo(host);
    const o = parseConnectArgs([
      ...['--peer', `127.0.0.1:${lns.port}`, '--user', 'alice', '--password', 'nope'],
      ...['--auth', 'pap', '--json'],
    ]) as ConnectOptions;
    const t0 = Date.now();
    expect(await runConnect(o, c.io)).toBe(ExitCode.RUNTIME_FAILURE);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(c.err()).toMatch(/authentication failed: .*wrong password for alice/);
    expect(String((await c.event('auth-failed')).message)).toContain('wrong password for alice');
    expect(host.tun?.closed).toBe(true);
    expect(host.ipCalls).toEqual([]); // never configured
    lns.t.signal();
    expect(await lns.done).toBe(ExitCode.OK);
  });
});

describe('connect: a PPP renegotiation reconfigures the TUN where it changed', () => {
  const id = (last: number) => Uint8Array.of(2, 0, 0, 0, 0, 0, 0, last);
  const info = (o: {
    local?: string;
    peer?: string;
    mtu?: number;
    id?: number;
    peerId?: number;
  }): PppUpInfo =>
    ({
      lcp: { mtu: o.mtu ?? 1500 },
      ipcp: { localAddress: o.local ?? '10.77.0.2', peerAddress: o.peer ?? '10.77.0.1' },
      ipv6cp:
        o.id === undefined
          ? undefined
          : { localInterfaceId: id(o.id), peerInterfaceId: id(o.peerId ?? 1) },
      peerName: undefined,
    }) as unknown as PppUpInfo;
  const opts = {
    tun: 'vpn0',
    mtu: 1400,
    ipv6: true,
    routes: ['10.99.0.0/24', '2001:db8:99::/48'],
  };
  const cmds = (a: PppUpInfo, b: PppUpInfo, globals: string[] = []) =>
    reconfigureCommands(a, b, opts, globals).map((c) => c.join(' '));

  it('nothing changed: no command', () => {
    expect(cmds(info({ id: 5 }), info({ id: 5 }), ['2001:db8:77:1::5/64'])).toEqual([]);
  });

  it('a new IPv4 address: the pair replaced, IPv4 routes put back', () => {
    expect(cmds(info({ id: 5 }), info({ local: '10.77.0.9', id: 5 }))).toEqual([
      'addr del 10.77.0.2 peer 10.77.0.1 dev vpn0',
      'addr add 10.77.0.9 peer 10.77.0.1 dev vpn0',
      'route replace 10.99.0.0/24 dev vpn0',
    ]);
  });

  it('a smaller MTU from the peer: the link MTU follows (never above --mtu)', () => {
    expect(cmds(info({ mtu: 1500 }), info({ mtu: 1300 }))).toEqual(['link set dev vpn0 mtu 1300']);
    expect(cmds(info({ mtu: 1500 }), info({ mtu: 1450 }))).toEqual([]); // both above 1400
  });

  it('a new interface identifier: link-local and RA addresses replaced, IPv6 routes via the peer', () => {
    expect(cmds(info({ id: 5 }), info({ id: 6, peerId: 3 }), ['2001:db8:77:1::5/64'])).toEqual([
      '-6 addr del 2001:db8:77:1::5/64 dev vpn0',
      '-6 addr del fe80::200:0:0:5/64 dev vpn0',
      '-6 addr add fe80::200:0:0:6/64 dev vpn0 nodad',
      '-6 route replace 2001:db8:99::/48 via fe80::200:0:0:3 dev vpn0',
    ]);
  });
});

describe('connect: the LNS renegotiates PPP mid-call', () => {
  it('reports ppp-renegotiated, leaves an unchanged TUN alone, and packets flow on', async () => {
    // An LNS of our own (not runLns) to reach its PppSession: PAP against one user.
    const transport = await UdpTransport.open({ address: '127.0.0.1' });
    const lns = new Endpoint({
      transport,
      clock: nodeClock,
      timers: nodeTimers,
      randomBytes: nodeRandomBytes,
      acceptTunnel: { version: 2, mode: 'lns', hostName: 'lns' },
    });
    const port = new MemPort();
    const server = new PppServer({
      pool: '10.77.0.0/24',
      port,
      clock: nodeClock,
      timers: nodeTimers,
      randomBytes: nodeRandomBytes,
      crypto: nodePppAuthCrypto,
      authenticate: ['pap'],
      verify: (r) => ({ ok: (r as PapVerifyRequest).password === 'pw', message: 'hi' }),
    });
    server.serve(lns);
    let serverPpp: PppSession | undefined;
    server.on('up', (p) => {
      serverPpp = p;
    });
    const host = new FakeHost();
    const c = testIo(host);
    const o = parseConnectArgs([
      ...['--peer', `127.0.0.1:${transport.local.port}`, '--user', 'alice', '--password', 'pw'],
      ...['--route', '10.99.0.0/24', '--tun', 'vpn0', '--json', '--auth', 'pap'],
    ]) as ConnectOptions;
    const done = runConnect(o, c.io);
    try {
      await c.event('ppp-up');
      for (let i = 0; i < 200 && serverPpp === undefined; i++)
        await new Promise((r) => setTimeout(r, 5));
      const configured = [...host.ipCalls];
      // RFC 1661 §4.3: a Configure-Request in Opened restarts LCP, then IPCP, on both ends.
      serverPpp?.session.send(Uint8Array.of(0xff, 0x03, 0xc0, 0x21, 1, 0x77, 0, 4));
      const again = await c.event('ppp-renegotiated');
      expect(again).toMatchObject({ tun: 'vpn0', local: '10.77.0.2', reconfigured: false });
      expect(host.ipCalls).toEqual(configured); // the same address and MTU: nothing to redo
      const out = ipv4('10.77.0.2', '10.99.0.1', [1]);
      (host.tun as FakeTun).inject(out);
      for (let i = 0; i < 200 && port.written.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(port.written).toEqual([out]);
    } finally {
      c.signal();
      expect(await done).toBe(ExitCode.OK);
      lns.destroy();
      transport.close();
    }
  });
});
