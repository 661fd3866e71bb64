/**
 * `l2tp-core switch`, run in-process through runCommand on 127.0.0.1 with free ports, between a
 * LAC and an LNS made here with the library's Endpoint on the Node adapters: a call is switched
 * to the LNS with its Called Number and frames cross both ways; a realm route to an L2TPv3 next
 * hop by the Proxy Authen Name; an unrouted call refused with CDN 2/10; two switches routing to
 * each other refuse the loop with CDN 26; a busy next hop giving way to an alternative; an LNS's
 * outgoing call placed at a LAC; what the command prints; the summary on SIGINT.
 * Then the route rules and the routes file (switch-routes.ts) as pure functions, and usage.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RawAvp } from '../../src/avp/raw.js';
import { ExitCode, main, runCommand } from '../../src/cli/main.js';
import { SWITCH_HELP } from '../../src/cli/switch.js';
import {
  findRoute,
  findRoutes,
  parseHostPort,
  parseRouteRule,
  parseRoutesFile,
  type RouteRule,
  realmOf,
} from '../../src/cli/switch-routes.js';
import { classify } from '../../src/codec/classify.js';
import { AvpType, CdnResult, GeneralError, PseudowireType } from '../../src/constants.js';
import { Endpoint, type TunnelOptions } from '../../src/endpoint.js';
import { nodeClock, nodeRandomBytes, nodeTimers } from '../../src/node/clock.js';
import { nodeCrypto } from '../../src/node/crypto.js';
import { UdpTransport } from '../../src/node/udp.js';
import type { Session } from '../../src/tunnel.js';

const LOOPBACK = '127.0.0.1';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Resolves once `check()` holds; rejects after `ms` (or when `stop` settles first). */
async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function endpoint(acceptTunnel?: AcceptTunnel) {
  const transport = await UdpTransport.open({ address: LOOPBACK, port: 0 });
  const ep = new Endpoint({
    transport,
    clock: nodeClock,
    timers: nodeTimers,
    randomBytes: nodeRandomBytes,
    crypto: nodeCrypto,
    ...(acceptTunnel === undefined ? {} : { acceptTunnel }),
  });
  cleanups.push(async () => {
    ep.destroy();
    await transport.close();
  });
  return { ep, port: transport.local.port };
}
type AcceptTunnel = ConstructorParameters<typeof Endpoint>[0]['acceptTunnel'];

interface LnsCall {
  readonly session: Session;
  readonly calledNumber: string | undefined;
  readonly version: 2 | 3;
  readonly frames: Uint8Array[];
  readonly avps: readonly RawAvp[];
}

/** An LNS accepting L2TPv2 and L2TPv3 (PPP pseudowires) that records its calls and frames. */
async function lns(secret?: string) {
  const v2: TunnelOptions = {
    mode: 'lns',
    version: 2,
    hostName: 'test-lns',
    callAvps: true,
    ...(secret === undefined ? {} : { secret }),
  };
  const v3: TunnelOptions = {
    ...v2,
    version: 3,
    routerId: 0x0a000003,
    pseudowireCapabilities: [PseudowireType.Ppp],
  };
  const { ep, port } = await endpoint((info) => {
    const c = classify(info.sccrq, 'udp');
    return c.kind === 'control' && c.version === 3 ? v3 : v2;
  });
  const calls: LnsCall[] = [];
  ep.on('tunnel', (t) => {
    t.on('incoming-session', (e) => {
      const session = t.sessions.get(e.sessionId);
      if (session === undefined) return;
      const avps = (e.avps ?? []).map((a) => ({ ...a, value: a.value.slice() }));
      const called = avps.find((a) => a.vendorId === 0 && a.attributeType === AvpType.CalledNumber);
      const call: LnsCall = {
        session,
        calledNumber: called === undefined ? undefined : new TextDecoder().decode(called.value),
        version: t.version,
        frames: [],
        avps,
      };
      session.on('frame', (f) => call.frames.push(f.slice()));
      calls.push(call);
    });
  });
  return { ep, port, calls };
}

/** A LAC with one tunnel to the switch. */
async function lac(switchPort: number) {
  const { ep, port } = await endpoint();
  const tunnel = ep.tunnel(
    { address: LOOPBACK, port: switchPort },
    { mode: 'lac', version: 2, hostName: 'test-lac' },
  );
  return { ep, tunnel, port };
}

/** `l2tp-core switch --listen 127.0.0.1:0 …args` in-process; SIGINT through the fake io. */
async function startSwitch(args: readonly string[]) {
  let out = '';
  let err = '';
  let signal: ((name: string) => void) | undefined;
  const done = runCommand(['switch', '--listen', `${LOOPBACK}:0`, ...args], {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    readFile: (p) => readFileSync(p),
    isTTY: false,
    onSignal: (handler) => {
      signal = handler;
      return () => {
        signal = undefined;
      };
    },
    wallClockMs: () => Date.now(),
  });
  let code: number | undefined;
  void done.then((c) => {
    code = c;
  });
  const waitFor = async (pattern: RegExp, what = String(pattern)): Promise<string> => {
    await until(
      () => code !== undefined || out.split('\n').some((l) => pattern.test(l)),
      `${what} in:\n${out}\nstderr:\n${err}`,
    );
    const line = out.split('\n').find((l) => pattern.test(l));
    if (line === undefined) throw new Error(`exited ${code} before ${what}:\n${out}\n${err}`);
    return line;
  };
  const listening = await waitFor(/switch listening on|"event":"listening"/);
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(listening)?.[1]);
  const stop = async () => {
    signal?.('SIGINT');
    return done;
  };
  cleanups.push(async () => {
    if (code === undefined) {
      signal?.('SIGINT');
      signal?.('SIGINT'); // forced: the test is over
      await done;
    }
  });
  return { port, done, stop, waitFor, out: () => out, err: () => err };
}

const lcp = Uint8Array.from([0xc0, 0x21, 1, 7, 0, 10, 5, 6, 0x12, 0x34, 0x56, 0x78]);
const ipv4 = Uint8Array.from([0x00, 0x21, 0x45, 0, 0, 20, 1, 2, 3, 4]);

describe('l2tp-core switch between a LAC and an LNS (in-process, loopback)', () => {
  it('switches a routed call to the LNS with its Called Number, frames cross both ways; an unrouted call gets CDN 2/10', async () => {
    const server = await lns();
    const sw = await startSwitch([
      '--tsa-id',
      'tsa-test',
      '--route',
      `alice@example.net=${LOOPBACK}:${server.port}`,
    ]);
    const { tunnel, port: lacPort } = await lac(sw.port);

    // A routed call: it comes up at the LNS with the LAC's Called Number and our TSA ID.
    const a = await tunnel.openSession({ calledNumber: 'alice@example.net' });
    await until(() => server.calls.some((c) => c.session.isUp), 'the call at the LNS');
    const at = server.calls[0] as LnsCall;
    expect(at.calledNumber).toBe('alice@example.net');
    const tsaIds = at.avps.filter((x) => x.attributeType === AvpType.TunnelSwitchingAggregatorId);
    expect(tsaIds.map((x) => new TextDecoder().decode(x.value))).toEqual(['tsa-test']);
    // The switch names each half by its peer and its own Tunnel ID / Session ID.
    const first = `127.0.0.1:${lacPort} call ${tunnel.info?.peerTunnelId}/${a.peerId}`;
    const second = `127.0.0.1:${server.port} call ${at.session.tunnel.info?.peerTunnelId}/${at.session.peerId}`;
    expect(await sw.waitFor(/call switched/)).toMatch(
      new RegExp(
        `^ +\\d+\\.\\d{3}s  call switched: ${first} → ${second}, called "alice@example.net" ` +
          '\\(route alice@example.net, L2TPv2 → L2TPv2\\)$',
      ),
    );

    // Frames both ways, byte for byte.
    const atLac: Uint8Array[] = [];
    a.on('frame', (f) => atLac.push(f.slice()));
    a.send(lcp);
    await until(() => at.frames.length === 1, 'the frame at the LNS');
    at.session.send(ipv4);
    await until(() => atLac.length === 1, 'the frame at the LAC');
    expect(at.frames).toEqual([lcp]);
    expect(atLac).toEqual([ipv4]);

    // An unrouted call: the First call comes up, then is cleared with 2/10.
    const b = await tunnel.openSession({ calledNumber: 'bob@nowhere.example' });
    await until(() => b.downReason !== undefined, 'the refusal');
    expect(b.downReason).toMatchObject({
      by: 'peer',
      resultCode: CdnResult.GeneralError,
      errorCode: GeneralError.NextHopUnreachable,
      message: 'no route for "bob@nowhere.example"',
    });
    expect(await sw.waitFor(/call refused/)).toMatch(
      new RegExp(
        `  call refused: 127.0.0.1:${lacPort} call ${tunnel.info?.peerTunnelId}/${b.peerId}, ` +
          'called "bob@nowhere.example": CDN 2/10 \\(GeneralError, NextHopUnreachable\\) ' +
          '"no route for \\\\"bob@nowhere.example\\\\""$',
      ),
    );
    expect(server.calls).toHaveLength(1);

    // The LAC hangs up: the LNS is told, and the switch says who ended it.
    a.close({ resultCode: CdnResult.LossOfCarrier, message: 'user hung up' });
    await until(() => at.session.downReason !== undefined, 'the CDN at the LNS');
    expect(at.session.downReason).toMatchObject({
      by: 'peer',
      resultCode: CdnResult.LossOfCarrier,
      message: 'user hung up',
    });
    const ended = await sw.waitFor(/call ended/);
    expect(ended).toContain(`call ended: ${first} ↔ ${second}, ended by`);
    expect(ended).toMatch(
      /, ended by the LAC side \(by peer, result 1, error 0, "user hung up"\); next hop told CDN 1\/0 \(LossOfCarrier\) "user hung up"; frames: 1 to the next hop, 1 to the LAC$/,
    );

    expect(await sw.stop()).toBe(ExitCode.OK);
    const summary = sw.out().slice(sw.out().indexOf('summary (switch'));
    expect(summary).toMatch(/^summary \(switch, \d+\.\d{3} s\):$/m);
    expect(summary).toContain('  calls            1 switched, 0 up at shutdown\n');
    expect(summary).toContain(
      '  refused          1 (1 by route or next hop, 0 loop, 0 TSA busy)\n',
    );
    expect(summary).toContain('  frames           1 to next hops, 1 to LACs, 0 dropped\n');
    expect(summary).toContain(
      '  rerouted         0 (a next hop unreachable or busy, the next tried)\n',
    );
    expect(summary).toContain('  exit code        0\n');
    expect(sw.err()).toContain('SIGINT: closing');
  });

  it("a MATCH's later rules are its alternatives: a busy next hop gives way to the next (draft §5)", async () => {
    const busy = await endpoint({
      mode: 'lns',
      version: 2,
      hostName: 'busy-lns',
      acceptSession: () => ({
        resultCode: CdnResult.GeneralError,
        errorCode: GeneralError.TsaBusy,
        message: 'full',
      }),
    });
    const server = await lns();
    const other = await lns();
    const sw = await startSwitch([
      '--route',
      `carol=${LOOPBACK}:${busy.port}`,
      '--route',
      `*=${LOOPBACK}:${other.port}`, // not an alternative of carol's: another MATCH
      '--route',
      `carol=${LOOPBACK}:${server.port}`,
    ]);
    const { tunnel } = await lac(sw.port);
    const s = await tunnel.openSession({ calledNumber: 'carol' });
    await until(() => server.calls.some((c) => c.session.isUp), 'the call at the alternative');
    expect(await sw.waitFor(/call rerouted/)).toMatch(
      new RegExp(
        `  call rerouted: 127\\.0\\.0\\.1:\\d+ call \\d+/\\d+: next hop 127\\.0\\.0\\.1:${busy.port} ` +
          `failed \\(CDN 2/11 \\(GeneralError, NextHopBusy\\) "full"\\); trying 127\\.0\\.0\\.1:${server.port}$`,
      ),
    );
    expect(await sw.waitFor(/call switched/)).toMatch(/\(route carol, L2TPv2 → L2TPv2\)$/);
    expect(s.isUp).toBe(true);
    expect(other.calls).toEqual([]);
    expect(await sw.stop()).toBe(ExitCode.OK);
    expect(sw.out()).toContain(
      '  rerouted         1 (a next hop unreachable or busy, the next tried)\n',
    );
  });

  it('--hop-timeout-ms, --hold-down-ms: a silent next hop is given up after N ms, then passed over', async () => {
    const silent = await endpoint(); // refuses every SCCRQ without a word
    const server = await lns();
    const sw = await startSwitch([
      '--hop-timeout-ms',
      '300',
      '--hold-down-ms',
      '60000',
      '--route',
      `dana=${LOOPBACK}:${silent.port}`,
      '--route',
      `dana=${LOOPBACK}:${server.port}`,
    ]);
    const { tunnel } = await lac(sw.port);
    const s = await tunnel.openSession({ calledNumber: 'dana' });
    const t0 = Date.now();
    await until(() => server.calls.some((c) => c.session.isUp), 'the call at the alternative');
    // 300 ms, not the silent hop's 31 s retransmission cycle.
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await sw.waitFor(/call rerouted/)).toMatch(
      new RegExp(
        `next hop 127\\.0\\.0\\.1:${silent.port} failed \\(CDN 2/10 \\(GeneralError, NextHopUnreachable\\) ` +
          `"next hop did not answer within 300 ms"\\); trying 127\\.0\\.0\\.1:${server.port}$`,
      ),
    );
    expect(s.isUp).toBe(true);
    // Held down now: the next call for dana skips the silent next hop without waiting.
    const again = await tunnel.openSession({ calledNumber: 'dana' });
    await until(() => server.calls.filter((c) => c.session.isUp).length === 2, 'the second call');
    expect(await sw.waitFor(/held down/)).toMatch(
      /failed \(CDN 2\/10 \(GeneralError, NextHopUnreachable\) "next hop held down: unreachable \d+ ms ago"\)/,
    );
    expect(again.isUp).toBe(true);
    expect(await sw.stop()).toBe(ExitCode.OK);
  });

  it('a realm route by the Proxy Authen Name to an L2TPv3 next hop with a secret; SIGINT clears the call', async () => {
    const server = await lns('hop-secret');
    const sw = await startSwitch([
      '--json',
      '--route',
      `5551234=${LOOPBACK}:9`, // an exact Called Number that does not match
      '--route',
      `@Corp.Example=${LOOPBACK}:${server.port},v3,secret=hop-secret,hostname=tsa.example`,
      '--route',
      `*=${LOOPBACK}:9`,
    ]);
    const { tunnel } = await lac(sw.port);
    const proxyName: RawAvp = {
      mandatory: false,
      hidden: false,
      vendorId: 0,
      attributeType: AvpType.ProxyAuthenName,
      value: new TextEncoder().encode('carol@corp.example'),
    };
    const c = await tunnel.openSession({
      calledNumber: '5550000',
      extraAvps: { connect: [proxyName] },
    });
    await until(() => server.calls.some((x) => x.session.isUp), 'the v3 call at the LNS');
    const at = server.calls[0] as LnsCall;
    expect(at.version).toBe(3);
    expect(at.calledNumber).toBe('5550000');
    expect(at.session.tunnel.info?.peerHostName).toBe('tsa.example');
    expect(at.session.tunnel.info?.peerAuthenticated).toBe(true);
    const line = JSON.parse(await sw.waitFor(/"event":"call-switched"/)) as Record<string, unknown>;
    expect(line).toMatchObject({
      route: '@Corp.Example',
      calledNumber: '5550000',
      versions: [2, 3],
    });

    // v2 → v3 and back: the frame crosses a version switch.
    const atLac: Uint8Array[] = [];
    c.on('frame', (f) => atLac.push(f.slice()));
    c.send(lcp);
    await until(() => at.frames.length === 1, 'the frame at the v3 LNS');
    at.session.send(ipv4);
    await until(() => atLac.length === 1, 'the frame back');
    expect(at.frames).toEqual([lcp]);
    expect(atLac).toEqual([ipv4]);

    // Ctrl-C: both halves are cleared (CDN), then the tunnels (StopCCN); exit 0.
    expect(await sw.stop()).toBe(ExitCode.OK);
    await until(() => c.downReason !== undefined && at.session.downReason !== undefined, 'CDNs');
    expect(c.downReason?.by).toBe('peer');
    expect(at.session.downReason?.by).toBe('peer');
    const summary = JSON.parse(
      sw
        .out()
        .split('\n')
        .find((l) => l.includes('"event":"summary"')) ?? '{}',
    ) as Record<string, unknown>;
    expect(summary).toMatchObject({
      role: 'switch',
      switched: 1,
      callsUpAtShutdown: 1,
      framesToSecond: 1,
      framesToFirst: 1,
      exitCode: 0,
    });
  });

  it('two switches routing to each other: the loop is refused with CDN 26 and the LAC is told', async () => {
    // B's port is needed by A's route and A's by B's: B takes a port found free first.
    const probe = await UdpTransport.open({ address: LOOPBACK, port: 0 });
    const portB = probe.local.port;
    await probe.close();
    const a = await startSwitch(['--tsa-id', 'tsa-a', '--route', `*=${LOOPBACK}:${portB}`]);
    const b = await startSwitch([
      '--listen',
      `${LOOPBACK}:${portB}`,
      '--tsa-id',
      'tsa-b',
      '--route',
      `*=${LOOPBACK}:${a.port}`,
    ]);
    expect(b.port).toBe(portB);
    const { tunnel } = await lac(a.port);
    const s = await tunnel.openSession({ calledNumber: 'round' });
    await until(() => s.downReason !== undefined, 'the loop refusal at the LAC');
    expect(s.downReason).toMatchObject({ by: 'peer', resultCode: CdnResult.LoopDetected });
    expect(await a.waitFor(/call refused at its request/)).toMatch(
      /call refused at its request: CDN 26 \(LoopDetected\) "loop: TSA ID tsa-a already in the path"$/,
    );
    // B's call to A is refused at its request; B clears its own First call (from A) with 26,
    // which A, whose call to B was up, carries back to the LAC.
    expect(await b.waitFor(/call refused: /)).toMatch(
      /called "round": CDN 26\/0 \(LoopDetected\) "loop: TSA ID tsa-a already in the path"$/,
    );
    expect(await a.waitFor(/call ended/)).toMatch(
      /ended by the next hop side \(by peer, result 26, error 0, "loop: TSA ID tsa-a already in the path"\); LAC told CDN 26\/0 \(LoopDetected\) "loop: TSA ID tsa-a already in the path"/,
    );
    expect(await a.stop()).toBe(ExitCode.OK);
    expect(await b.stop()).toBe(ExitCode.OK);
    expect(a.out()).toContain('  calls            1 switched, 0 up at shutdown\n');
    expect(a.out()).toContain(
      '  refused          1 (0 by route or next hop, 1 loop, 0 TSA busy)\n',
    );
    expect(b.out()).toContain(
      '  refused          1 (1 by route or next hop, 0 loop, 0 TSA busy)\n',
    );
  });

  it('--routes FILE: the routes and options from JSON; the command line wins', async () => {
    const server = await lns();
    const file = JSON.stringify({
      routes: [{ match: '*', peer: `${LOOPBACK}:${server.port}`, hostName: 'from-file' }],
      tsaId: 'file-tsa',
      listen: `${LOOPBACK}:1`, // overridden by --listen
      idleMs: 50,
    });
    const dir = mkdtempSync(join(tmpdir(), 'l2tp-switch-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'routes.json'), file);
    const sw = await startSwitch(['--routes', join(dir, 'routes.json')]);
    expect(sw.out()).toMatch(
      /listening on 127\.0\.0\.1:\d+ \(L2TPv2 and v3\), 1 route, TSA ID "file-tsa"/,
    );
    const { tunnel } = await lac(sw.port);
    const s = await tunnel.openSession({ calledNumber: 'anyone' });
    await until(() => server.calls.some((c) => c.session.isUp), 'the call at the LNS');
    const at = server.calls[0] as LnsCall;
    expect(at.session.tunnel.info?.peerHostName).toBe('from-file');
    // idleMs 50: the tunnel to the LNS closes soon after its only call.
    s.close();
    await until(() => at.session.tunnel.downReason !== undefined, 'the idle close', 5000);
    expect(at.session.tunnel.downReason).toMatchObject({ by: 'peer' });
    expect(await sw.stop()).toBe(ExitCode.OK);
  });

  it('an LNS’s outgoing call (OCRQ) is placed as an outgoing call to the LAC the route names', async () => {
    // The LAC that takes outgoing calls accepts the switch's tunnel in mode 'lac'.
    const dialIn = await endpoint({ mode: 'lac', version: 2, hostName: 'test-lac-out' });
    const atLac: { session: Session; frames: Uint8Array[] }[] = [];
    dialIn.ep.on('tunnel', (t) =>
      t.on('session-up', (session) => {
        const call = { session, frames: [] as Uint8Array[] };
        session.on('frame', (f) => call.frames.push(f.slice()));
        atLac.push(call);
      }),
    );
    const upstream = await endpoint();
    const sw = await startSwitch(['--route', `5550100=${LOOPBACK}:${dialIn.port}`]);
    const tunnel = upstream.ep.tunnel(
      { address: LOOPBACK, port: sw.port },
      { mode: 'lns', version: 2, hostName: 'test-lns-out' },
    );
    const s = await tunnel.openSession({ calledNumber: '5550100' });
    await until(() => atLac.length === 1, 'the outgoing call at the LAC');
    expect(await sw.waitFor(/call switched/)).toMatch(/\(route 5550100, L2TPv2 → L2TPv2\)$/);
    s.send(lcp);
    await until(() => (atLac[0]?.frames.length ?? 0) === 1, 'the frame at the LAC');
    expect(atLac[0]?.frames).toEqual([lcp]);
    s.close({ resultCode: CdnResult.Administrative, message: 'done' });
    expect(await sw.waitFor(/call ended/)).toMatch(
      /ended by the LNS side \(by peer, result 3.*; frames: 1 to the next hop, 0 to the LNS$/,
    );
    expect(await sw.stop()).toBe(ExitCode.OK);
  });
});

describe('route rules (switch-routes.ts)', () => {
  const rule = (text: string) => parseRouteRule(text);

  it('MATCH=NEXTHOP with flags', () => {
    expect(rule('alice=10.0.0.1:1702')).toEqual({
      text: 'alice',
      match: { kind: 'number', number: 'alice' },
      peer: { address: '10.0.0.1', port: 1702 },
      version: 2,
      encap: 'udp',
      secret: undefined,
      hostName: undefined,
    });
    expect(rule('@Example.NET=[::1]:1701,v3,secret=a=b,hostname=tsa')).toMatchObject({
      match: { kind: 'realm', realm: 'example.net' },
      peer: { address: '::1', port: 1701 },
      version: 3,
      secret: 'a=b',
      hostName: 'tsa',
    });
    expect(rule('*=192.0.2.1')).toMatchObject({
      match: { kind: 'default' },
      peer: { address: '192.0.2.1', port: 1701 },
    });
    expect(rule('*=192.0.2.1,v3,ip')).toMatchObject({ version: 3, encap: 'ip' });
    // The MATCH ends at the last '=' of the part before the first comma.
    expect(rule('a=b=192.0.2.1').match).toEqual({ kind: 'number', number: 'a=b' });
  });

  it.each([
    ['alice', 'expected MATCH=NEXTHOP'],
    ['=192.0.2.1', 'empty MATCH'],
    ['@=192.0.2.1', 'expected @domain'],
    ['@a@b=192.0.2.1', 'expected @domain'],
    ['x=lns.example:1701', 'expected ADDR:PORT with an IP address'],
    ['x=192.0.2.1:0', 'not a UDP port (1…65535): 0'],
    ['x=192.0.2.1:70000', 'not a UDP port'],
    ['x=::1', 'write an IPv6 address in brackets: [::1]:1701'],
    ['x=[192.0.2.1]:1701', 'not an IPv6 address'],
    ['x=192.0.2.1,v4', 'unknown option "v4"'],
    ['x=192.0.2.1,v2,v3', 'the version given twice'],
    ['x=192.0.2.1,secret=', 'empty secret'],
    ['x=192.0.2.1,ip', 'ip (L2TPv3 over IP) needs v3'],
    ['x=192.0.2.1,secret', 'unknown option "secret"'],
  ])('%j is refused: %s', (text, message) => {
    expect(() => rule(text)).toThrow(message);
  });

  it('first match wins, in order; realms from the Proxy Authen Name or a Called Number', () => {
    const rules: RouteRule[] = [
      rule('alice@corp.example=192.0.2.1'),
      rule('@corp.example=192.0.2.2'),
      rule('5551234=192.0.2.3'),
      rule('*=192.0.2.9'),
    ];
    const peer = (calledNumber?: string, proxyAuthenName?: string) =>
      findRoute(rules, { calledNumber, proxyAuthenName })?.peer.address;
    expect(peer('alice@corp.example')).toBe('192.0.2.1');
    expect(peer('bob@CORP.example')).toBe('192.0.2.2');
    expect(peer('5551234', 'bob@corp.example')).toBe('192.0.2.2'); // the realm rule comes first
    expect(peer('5551234', 'bob@other.example')).toBe('192.0.2.3');
    expect(peer('5551234 ')).toBe('192.0.2.9'); // exact: no trimming
    expect(peer(undefined, undefined)).toBe('192.0.2.9');
    expect(findRoute(rules.slice(0, 3), { calledNumber: 'x', proxyAuthenName: 'y' })).toBe(
      undefined,
    );
    // Later rules of the same MATCH (a realm in any case) are the first one's alternatives.
    const withAlternatives = [
      ...rules,
      rule('@CORP.example=192.0.2.4'),
      rule('alice@corp.example=192.0.2.5'),
    ];
    const peers = (calledNumber: string) =>
      findRoutes(withAlternatives, { calledNumber, proxyAuthenName: undefined }).map(
        (r) => r.peer.address,
      );
    expect(peers('bob@corp.example')).toEqual(['192.0.2.2', '192.0.2.4']);
    expect(peers('alice@corp.example')).toEqual(['192.0.2.1', '192.0.2.5']);
    expect(findRoutes(rules.slice(0, 3), { calledNumber: 'x', proxyAuthenName: 'y' })).toEqual([]);
    expect(realmOf('a@b@Realm')).toBe('realm');
    expect(realmOf('user@')).toBe(undefined);
    expect(realmOf('user')).toBe(undefined);
  });

  it('ADDR:PORT', () => {
    expect(parseHostPort('--listen', '127.0.0.1:0', 1701, 0)).toEqual({
      address: '127.0.0.1',
      port: 0,
    });
    expect(parseHostPort('--listen', '[::]', 1701, 0)).toEqual({ address: '::', port: 1701 });
    expect(() => parseHostPort('--listen', '127.0.0.1:x', 1701, 0)).toThrow(
      '--listen: not a UDP port (0…65535): x',
    );
  });

  it('a routes file, strictly checked', () => {
    const ok = parseRoutesFile(
      'r.json',
      JSON.stringify({
        routes: [
          { match: '@isp.example', peer: '192.0.2.1:1701', version: 3, secret: 's' },
          { match: '*', peer: '[2001:db8::1]:1702', encap: 'udp', hostName: 'h' },
        ],
        tsaId: 'tsa',
        listen: '0.0.0.0:1701',
        secret: 'first',
        hostName: 'me',
        idleMs: 0,
        hopTimeoutMs: 2500,
        holdDownMs: 0,
        maxCalls: 10,
      }),
    );
    expect(ok.routes.map((r) => [r.text, r.peer.address, r.version, r.secret, r.hostName])).toEqual(
      [
        ['@isp.example', '192.0.2.1', 3, 's', undefined],
        ['*', '2001:db8::1', 2, undefined, 'h'],
      ],
    );
    expect(ok).toMatchObject({
      tsaId: 'tsa',
      listen: { address: '0.0.0.0', port: 1701 },
      secret: 'first',
      hostName: 'me',
      idleMs: 0,
      hopTimeoutMs: 2500,
      holdDownMs: 0,
      maxCalls: 10,
    });
  });

  it.each([
    ['{', '--routes r.json: not JSON:'],
    ['[]', '--routes r.json: expected an object, got an array'],
    ['{"routes":[]}', '"routes" is empty'],
    ['{"routes":{}}', '"routes" must be an array of routes, got an object'],
    ['{"route":[]}', 'unknown key "route" (known: routes, listen'],
    ['{"routes":[{"peer":"192.0.2.1"}]}', 'routes[0]: "match" is required'],
    ['{"routes":[{"match":"*"}]}', 'routes[0]: "peer" is required'],
    ['{"routes":[{"match":"*","peer":1701}]}', 'routes[0].peer: expected "ADDR:PORT", got 1701'],
    [
      '{"routes":[{"match":"*","peer":"192.0.2.1","version":"3"}]}',
      'routes[0].version: expected 2 or 3, got "3"',
    ],
    [
      '{"routes":[{"match":"*","peer":"192.0.2.1","encap":"ip"}]}',
      'routes[0]: ip (L2TPv3 over IP) needs v3',
    ],
    ['{"routes":[{"match":"*","peer":"192.0.2.1","secrt":"x"}]}', 'routes[0]: unknown key "secrt"'],
    [
      '{"routes":[{"match":"*","peer":"192.0.2.1","secret":""}]}',
      'routes[0].secret: expected a non-empty string',
    ],
    ['{"routes":[{"match":"","peer":"192.0.2.1"}]}', 'routes[0].match: expected a Called Number'],
    [
      '{"routes":[{"match":"*","peer":"192.0.2.1"}],"maxCalls":0}',
      'maxCalls: expected an integer in 1…65535, got 0',
    ],
    ['{"routes":[{"match":"*","peer":"192.0.2.1"}],"idleMs":1.5}', 'idleMs: expected an integer'],
    [
      '{"routes":[{"match":"*","peer":"192.0.2.1"}],"hopTimeoutMs":3600001}',
      'hopTimeoutMs: expected an integer in 1…3600000, got 3600001',
    ],
    [
      '{"routes":[{"match":"*","peer":"192.0.2.1"}],"holdDownMs":-5}',
      'holdDownMs: expected an integer in 0…86400000, got -5',
    ],
    [
      `{"routes":[{"match":"*","peer":"192.0.2.1"}],"tsaId":"${'x'.repeat(65)}"}`,
      'tsaId: 65 octets, at most 64',
    ],
  ])('%s is refused: %s', (content, message) => {
    expect(() => parseRoutesFile('r.json', content)).toThrow(message);
  });
});

describe('usage (in-process)', () => {
  const run = (argv: string[], files: Record<string, string> = {}) => {
    let out = '';
    let err = '';
    const code = main(argv, {
      stdout: (t) => {
        out += t;
      },
      stderr: (t) => {
        err += t;
      },
      readFile: (p) => {
        const f = files[p];
        if (f === undefined) throw new Error(`ENOENT: no such file, open '${p}'`);
        return new TextEncoder().encode(f);
      },
    });
    return { code, out, err };
  };

  it.each([
    [['switch'], 'no routes: give --route RULE (repeatable) or --routes FILE'],
    [['switch', '--route', 'x=192.0.2.1', '--routes', 'r.json'], 'not both'],
    [['switch', '--route', 'x'], '--route "x": expected MATCH=NEXTHOP'],
    [
      ['switch', '--route', '*=192.0.2.1,v3,ip'],
      'route *: L2TPv3 over IP (ip) needs a raw IP socket (root, CAP_NET_RAW), which this command does not open',
    ],
    [['switch', '--routes', 'missing.json'], '--routes missing.json: cannot read: ENOENT'],
    [['switch', '--route', '*=192.0.2.1', '--listen', 'host:1701'], '--listen: expected ADDR:PORT'],
    [['switch', '--route', '*=192.0.2.1', '--tsa-id', 'x'.repeat(65)], '--tsa-id: 65 octets'],
    [['switch', '--route', '*=192.0.2.1', '--idle-ms', '-1'], '--idle-ms needs a value'],
    [
      ['switch', '--route', '*=192.0.2.1', '--hop-timeout-ms', '0'],
      '--hop-timeout-ms: expected an integer in 1…3600000',
    ],
    [
      ['switch', '--route', '*=192.0.2.1', '--hold-down-ms', '1.5'],
      '--hold-down-ms: expected an integer in 0…86400000',
    ],
    [
      ['switch', '--route', '*=192.0.2.1', '--max-calls', '0'],
      '--max-calls: expected an integer in 1…65535',
    ],
    [['switch', '--route', '*=192.0.2.1', '--secret='], '--secret: empty secret'],
    [['switch', '--route', '*=192.0.2.1', '--host-name', 'a', '--hostname', 'b'], 'give one'],
    [['switch', '--rout', '*=192.0.2.1'], 'unknown option --rout (did you mean --route?)'],
  ])('%j → exit 2', (argv, message) => {
    const r = run(argv);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.err).toContain(message);
    expect(r.err).toContain('Run `l2tp-core switch --help` for usage.');
    expect(r.out).toBe('');
  });

  it('an invalid routes file is a usage error naming the place', () => {
    const r = run(['switch', '--routes', 'r.json'], { 'r.json': '{"routes":[{"match":"*"}]}' });
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.err).toBe(
      'l2tp-core switch: --routes r.json: routes[0]: "peer" is required\n' +
        'Run `l2tp-core switch --help` for usage.\n',
    );
  });

  it('--help lists the options and the exit codes; the program help lists the command', () => {
    const r = run(['switch', '--help']);
    expect(r).toMatchObject({ code: ExitCode.OK, out: SWITCH_HELP });
    for (const flag of [
      '--route RULE',
      '--routes FILE',
      '--listen',
      '--secret',
      '--host-name',
      '--tsa-id',
      '--idle-ms',
      '--hop-timeout-ms',
      '--hold-down-ms',
      '--max-calls',
      '-v',
    ]) {
      expect(r.out).toContain(flag);
    }
    expect(r.out).toContain('Exit codes: 0 ok, 1 runtime failure, 2 usage error');
    expect(run(['help', 'switch']).out).toBe(SWITCH_HELP);
    expect(run(['switch', '--bogus', '-h']).out).toBe(SWITCH_HELP);
    expect(run(['--help']).out).toMatch(/^ {2}switch {5}an L2TP tunnel switch/m);
    // Valid arguments: main() only parses; running is runCommand's.
    expect(run(['switch', '--route', '*=192.0.2.1']).err).toContain('call runCommand()');
  });
});
