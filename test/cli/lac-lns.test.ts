/**
 * `l2tp-core lac` against `l2tp-core lns` over loopback, spawned as a user runs them (the built
 * CLI, real UDP, real signals): L2TPv2 with a secret and hidden AVPs, 2 tunnels × 3 sessions with
 * echoed frames, SIGINT on both → CDNs and StopCCNs in the capture, exit 0, summary numbers;
 * L2TPv3 with cookies; an unreachable peer → exit 1 after the retransmission budget; a second
 * SIGINT forces; usage errors → exit 2.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGE_SPEC } from '../../src/avp/messages.js';
import { readCapture } from '../../src/cli/capture.js';
import { ExitCode, main, runCommand } from '../../src/cli/main.js';
import {
  type CommonOptions,
  LAC_HELP,
  parseLacArgs,
  parseLnsArgs,
  type ResolvedAddress,
  resolvePeer,
  tunnelOptions,
} from '../../src/cli/run.js';
import { Endpoint } from '../../src/endpoint.js';
import { nodeClock, nodeRandomBytes, nodeTimers } from '../../src/node/clock.js';
import { nodeCrypto } from '../../src/node/crypto.js';
import { UdpTransport } from '../../src/node/udp.js';
import { toHex } from '../helpers/hex.js';
import { buildCli, jsonEvents, removeCliBuild, runCliSync, startCli } from './cli-process.js';

const dir = mkdtempSync(join(tmpdir(), 'l2tp-cli-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  removeCliBuild();
});
beforeAll(() => {
  buildCli();
}, 120_000);

/** Decodes a capture with `l2tp-core decode --json` (in-process) and returns the objects. */
function decodeJson(file: string, port: number, secret?: string): Record<string, unknown>[] {
  let out = '';
  const code = main(
    [
      'decode',
      '--json',
      '--pcap',
      file,
      '--port',
      String(port),
      ...(secret === undefined ? [] : ['--secret', secret]),
    ],
    {
      stdout: (t) => {
        out += t;
      },
      stderr: () => {},
      readFile: (p) => Uint8Array.from(readFileSync(p)),
    },
  );
  expect(code).toBe(ExitCode.OK);
  return jsonEvents(out);
}

const summaryOf = (stdout: string) => {
  const s = jsonEvents(stdout).find((e) => e.event === 'summary');
  if (s === undefined) throw new Error(`no summary in ${stdout}`);
  return s as Record<string, Record<string, number> | number | string>;
};

async function startLns(args: string[]) {
  const lns = startCli(['lns', '--local', '127.0.0.1', '--port', '0', '--json', ...args]);
  const listening = JSON.parse(await lns.waitFor(/"event":"listening"/)) as { local: string };
  const port = Number(listening.local.split(':')[1]);
  return { lns, port };
}

describe('lac and lns over loopback', () => {
  it('v2, secret and hidden AVPs, 2 tunnels × 3 sessions, frames echoed, SIGINT on both', async () => {
    const secret = 'cli-test-secret';
    const lnsPcap = join(dir, 'v2-lns.pcap');
    const lacPcap = join(dir, 'v2-lac.pcap');
    const { lns, port } = await startLns(['--secret', secret, '--hide', '--pcap', lnsPcap]);
    const lac = startCli([
      'lac',
      '--peer',
      '127.0.0.1',
      '--peer-port',
      String(port),
      '--secret',
      secret,
      '--hide',
      '--tunnels',
      '2',
      '--sessions',
      '3',
      '--frames',
      '4',
      '--json',
      '--pcap',
      lacPcap,
    ]);
    await lac.waitFor(/"event":"frames"/);
    lac.signal('SIGINT');
    expect(await lac.exited).toBe(0);
    await lns.waitFor(/"event":"tunnel-down".*"by":"peer"/);
    lns.signal('SIGINT');
    expect(await lns.exited).toBe(0);

    const lacEvents = jsonEvents(lac.stdout());
    const ups = lacEvents.filter((e) => e.event === 'tunnel-up');
    expect(ups).toHaveLength(2);
    expect(ups.every((e) => e.authenticated === true)).toBe(true);
    expect(lacEvents.filter((e) => e.event === 'session-up')).toHaveLength(6);
    expect(lacEvents.find((e) => e.event === 'frames')).toMatchObject({
      sent: 24,
      echoed: 24,
      lost: 0,
    });
    const s = summaryOf(lac.stdout());
    expect(s).toMatchObject({
      role: 'lac',
      tunnels: { up: 2, failed: 0, total: 2 },
      sessions: { up: 6, failed: 0, total: 6 },
      frames: { sent: 24, received: 24, echoed: 24, dropped: 0 },
      exitCode: 0,
    });
    // Per tunnel: SCCRQ, SCCCN, 3 ICRQ, 3 ICCN, 3 CDN, StopCCN (first transmissions only).
    expect((s.control as Record<string, number>).messagesSent).toBe(24);
    const l = summaryOf(lns.stdout());
    expect(l).toMatchObject({
      role: 'lns',
      tunnels: { up: 2, failed: 0, total: 2 },
      sessions: { up: 6, failed: 0, total: 6 },
      frames: { sent: 24, received: 24, echoed: 24, dropped: 0 },
      exitCode: 0,
    });
    // Per tunnel: SCCRP and 3 ICRP; the rest are ZLB acknowledgements.
    expect((l.control as Record<string, number>).messagesSent).toBe(8);

    // Both captures hold the same datagrams, and as many as each summary says.
    const lacCapture = readCapture(readFileSync(lacPcap), { ports: [port] });
    const lnsCapture = readCapture(readFileSync(lnsPcap), { ports: [port] });
    expect(lacCapture.problems).toEqual([]);
    expect(lacCapture.packets).toHaveLength(s.pcapRecords as number);
    expect(lnsCapture.packets).toHaveLength(l.pcapRecords as number);
    // (Each side records in its own order: sends and receives interleave differently.)
    const payloads = (c: typeof lacCapture) => c.packets.map((p) => toHex(p.payload)).sort();
    expect(payloads(lacCapture)).toEqual(payloads(lnsCapture));

    const decoded = decodeJson(lacPcap, port, secret);
    const control = decoded.filter((d) => d.kind === 'control');
    const data = decoded.filter((d) => d.kind === 'data');
    expect(data).toHaveLength(48); // 24 frames out, 24 echoes back
    const count = (t: string) => control.filter((d) => d.type === t).length;
    expect([count('SCCRQ'), count('SCCRP'), count('SCCCN')]).toEqual([2, 2, 2]);
    expect([count('ICRQ'), count('ICRP'), count('ICCN'), count('CDN')]).toEqual([6, 6, 6, 6]);
    expect(count('StopCCN')).toBe(2);
    // In each tunnel the StopCCN is the LAC's last message, and the LNS acknowledged it.
    const toLns = control.filter((d) => d.dstPort === port);
    for (const up of ups) {
      // Headers carry the receiver's Tunnel ID: the LNS's one towards it, ours back.
      const mine = toLns.filter((d) => d.tunnelId === up.peerTunnel);
      const stop = mine.at(-1) as { type: string; ns: number; frame: number };
      expect(stop.type).toBe('StopCCN');
      const acks = control.filter(
        (d) =>
          d.srcPort === port &&
          d.tunnelId === up.tunnel &&
          d.type === 'ZLB' &&
          (d.frame as number) > stop.frame &&
          d.nr === (stop.ns + 1) % 65536,
      );
      expect(acks.length).toBeGreaterThan(0);
    }
    // Hidden AVPs on the wire: by default the ICRQ's ids, nothing in SCCRQ/SCCRP, which real
    // peers refuse hidden (xl2tpd: StopCCN 2/6).
    const raw = decodeJson(lacPcap, port);
    const hiddenIn = (type: string) =>
      (raw.find((d) => d.type === type) as { avps: { name: string; hidden: boolean }[] }).avps
        .filter((a) => a.hidden)
        .map((a) => a.name);
    expect(hiddenIn('SCCRQ')).toEqual([]);
    expect(hiddenIn('SCCRP')).toEqual([]);
    expect(hiddenIn('ICRQ')).toEqual(['AssignedSessionId', 'CallSerialNumber']);
    expect(hiddenIn('ICRP')).toEqual(['AssignedSessionId']);
    // Both Challenge Responses of each tunnel verified by decode --secret.
    const auth = control.flatMap((d) => (d.auth as { ok: boolean }[] | undefined) ?? []);
    expect(auth.map((a) => a.ok)).toEqual([true, true, true, true]);
  }, 30_000);

  it('v3 with an 8-byte cookie and control message authentication', async () => {
    const { lns, port } = await startLns(['--version', '3', '--secret', 'v3-secret']);
    const lac = startCli([
      'lac',
      '--version',
      '3',
      '--cookie',
      '8',
      '--secret',
      'v3-secret',
      '--peer',
      '127.0.0.1',
      '--peer-port',
      String(port),
      '--sessions',
      '2',
      '--frames',
      '3',
      '--duration',
      '0.1',
      '--json',
    ]);
    expect(await lac.exited).toBe(0);
    lns.signal('SIGTERM');
    expect(await lns.exited).toBe(0);
    const up = jsonEvents(lns.stdout()).find((e) => e.event === 'tunnel-up');
    expect(up).toMatchObject({ version: 3, authenticated: true, peerHostName: 'l2tp-core-lac' });
    expect(summaryOf(lac.stdout())).toMatchObject({
      tunnels: { up: 1, failed: 0 },
      sessions: { up: 2, failed: 0 },
      frames: { sent: 6, echoed: 6, received: 6 },
      exitCode: 0,
    });
    expect(summaryOf(lns.stdout())).toMatchObject({ frames: { echoed: 6, dropped: 0 } });
  }, 30_000);

  it('--peer takes a host name: localhost is resolved (to 127.0.0.1, where the LNS is)', async () => {
    const { lns, port } = await startLns([]);
    const lac = startCli([
      'lac',
      '--peer',
      'localhost',
      '--peer-port',
      String(port),
      '--duration',
      '0',
      '--json',
    ]);
    expect(await lac.exited).toBe(0);
    lns.signal();
    expect(await lns.exited).toBe(0);
    const events = jsonEvents(lac.stdout());
    expect(events.find((e) => e.event === 'start')).toMatchObject({
      peer: `127.0.0.1:${port}`,
      peerName: 'localhost',
    });
    expect(events.filter((e) => e.event === 'tunnel-up')).toHaveLength(1);
  }, 30_000);

  it('lns: a tunnel that never came up is reported as failed to come up, with why, not as down', async () => {
    const { lns, port } = await startLns(['--secret', 'right']);
    const lac = startCli([
      'lac',
      '--peer',
      '127.0.0.1',
      '--peer-port',
      String(port),
      '--secret',
      'wrong',
      '--retransmit-ms',
      '50',
      '--max-retransmits',
      '2',
    ]);
    expect(await lac.exited).toBe(1);
    const failed = await lns.waitFor(/"event":"tunnel-failed"/);
    lns.signal();
    expect(await lns.exited).toBe(0);
    // The LAC found the LNS's Challenge Response wrong and refused with StopCCN Result 4.
    expect(JSON.parse(failed)).toMatchObject({ by: 'peer', resultCode: 4 });
    const events = jsonEvents(lns.stdout()).map((e) => e.event);
    expect(events).not.toContain('tunnel-down');
    expect(summaryOf(lns.stdout())).toMatchObject({ tunnels: { up: 0, failed: 1, total: 1 } });
    // And in text: what happened and why, in words.
    const text = startCli(['lns', '--local', '127.0.0.1', '--port', '0', '--secret', 'right']);
    const textPort = Number((await text.waitFor(/listening on/)).match(/:(\d+) /)?.[1]);
    const lac2 = startCli([
      'lac',
      '--peer',
      '127.0.0.1',
      '--peer-port',
      String(textPort),
      '--secret',
      'x',
    ]);
    expect(await lac2.exited).toBe(1);
    const line = await text.waitFor(/failed to come up/);
    text.signal();
    await text.exited;
    expect(line).toMatch(
      /tunnel \d+ from 127\.0\.0\.1:\d+ failed to come up: by peer, result 4 \(NotAuthorized\)(, |$)/,
    );
    expect(text.stdout()).not.toMatch(/ down \(/);
  }, 30_000);

  it('lac counts only echoes of its own frames, not frames the LNS sends of its own', async () => {
    // An LNS made from the library that also sends its own PPP frame (an LCP Configure-Request)
    // for each one it gets, as a real PPP peer would; or only that, echoing nothing.
    const transport = await UdpTransport.open({ address: '127.0.0.1' });
    const ep = new Endpoint({
      transport,
      clock: nodeClock,
      timers: nodeTimers,
      randomBytes: nodeRandomBytes,
      crypto: nodeCrypto,
      acceptTunnel: { mode: 'lns', hostName: 'chatty-lns' },
    });
    let echo = true;
    ep.on('tunnel', (t) =>
      t.on('frame', (s, frame) => {
        if (echo) s.send(Uint8Array.from(frame));
        s.send(Uint8Array.of(0xc0, 0x21, 0x01, 0x01, 0x00, 0x04));
      }),
    );
    const lacRun = (extra: string[]) =>
      startCli([
        'lac',
        '--peer',
        '127.0.0.1',
        '--peer-port',
        String(transport.local.port),
        '--sessions',
        '2',
        '--frames',
        '5',
        '--duration',
        '0',
        '--json',
        ...extra,
      ]);
    try {
      const both = lacRun([]);
      expect(await both.exited).toBe(0);
      expect(jsonEvents(both.stdout()).find((e) => e.event === 'frames')).toMatchObject({
        sent: 10,
        echoed: 10,
        lost: 0,
      });
      expect(summaryOf(both.stdout())).toMatchObject({ frames: { received: 20, echoed: 10 } });
      echo = false;
      const none = lacRun(['--frames', '150', '--frame-timeout', '0.3']);
      expect(await none.exited).toBe(1);
      expect(jsonEvents(none.stdout()).find((e) => e.event === 'frames')).toMatchObject({
        sent: 300,
        echoed: 0,
        lost: 300,
      });
      // Many frames lost after an unpaced burst: the way to pace them is named.
      expect(none.stderr()).toContain('--rate N sends N frames a second');
    } finally {
      ep.destroy();
      await transport.close();
    }
  }, 30_000);

  it('lac --rate paces the test frames (20 at 100/s take at least 190 ms), all echoed', async () => {
    const { lns, port } = await startLns([]);
    const lac = startCli([
      'lac',
      '--peer',
      '127.0.0.1',
      '--peer-port',
      String(port),
      '--sessions',
      '2',
      '--frames',
      '10',
      '--rate',
      '100',
      '--duration',
      '0',
      '--json',
    ]);
    expect(await lac.exited).toBe(0);
    lns.signal();
    expect(await lns.exited).toBe(0);
    const events = jsonEvents(lac.stdout());
    const lastUp = Math.max(
      ...events.filter((e) => e.event === 'session-up').map((e) => e.time as number),
    );
    const frames = events.find((e) => e.event === 'frames') as Record<string, number>;
    expect(frames).toMatchObject({ sent: 20, echoed: 20, lost: 0, rate: 100 });
    // Frame k leaves k × 10 ms after the first: the last one 190 ms later, echoes after that.
    expect((frames.time as number) - lastUp).toBeGreaterThanOrEqual(0.19);
  }, 30_000);

  it('many sessions: a progress line instead of one event per session (not a terminal)', async () => {
    const { lns, port } = await startLns([]);
    const lac = startCli([
      'lac',
      '--peer',
      '127.0.0.1',
      '--peer-port',
      String(port),
      '--sessions',
      '30',
      '--duration',
      '0',
    ]);
    expect(await lac.exited).toBe(0);
    lns.signal();
    expect(await lns.exited).toBe(0);
    expect(lac.stdout()).not.toMatch(/session \d+\/\d+ up/);
    expect(lac.stderr()).toMatch(/^progress: tunnels 1\/1 up, sessions 30\/30 up$/m);
    expect(lac.stdout()).toMatch(/sessions +30 up, 0 failed, 30 total/);
  }, 30_000);

  it('an lns restricted to v3 refuses a v2 LAC, which fails with exit 1', async () => {
    const { lns, port } = await startLns(['--version', '3']);
    const r = startCli([
      'lac',
      '--peer',
      '127.0.0.1',
      '--peer-port',
      String(port),
      '--retransmit-ms',
      '40',
      '--max-retransmits',
      '1',
      '--json',
    ]);
    expect(await r.exited).toBe(1);
    lns.signal();
    expect(await lns.exited).toBe(0);
    expect(jsonEvents(lns.stdout()).filter((e) => e.event === 'tunnel-refused').length).toBe(2);
    expect(jsonEvents(r.stdout()).find((e) => e.event === 'tunnel-failed')).toMatchObject({
      by: 'timeout',
    });
  }, 30_000);
});

describe('failures', () => {
  let silent: Socket;
  let silentPort: number;
  beforeAll(async () => {
    silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    silentPort = silent.address().port;
  });
  afterAll(() => silent.close());

  // A lac dialling the silent port with short timers: it gives up after 50 + 100 + 200 ms.
  const silentPeerLac = (...extra: string[]) => [
    'lac',
    ...extra,
    '--peer',
    '127.0.0.1',
    '--peer-port',
    String(silentPort),
    '--retransmit-ms',
    '50',
    '--max-retransmits',
    '2',
  ];

  it('an unreachable peer: exit 1 after the retransmission budget, with a summary', async () => {
    const started = performance.now();
    const lac = startCli(silentPeerLac());
    expect(await lac.exited).toBe(1);
    // 50 + 100 + 200 ms of retransmissions, plus process start: far below the default 31 s.
    expect(performance.now() - started).toBeLessThan(8000);
    expect(lac.stdout()).toMatch(/tunnel \d+ to 127\.0\.0\.1:\d+ failed: by timeout/);
    expect(lac.stdout()).toMatch(/tunnels +0 up, 1 failed, 1 total/);
    expect(lac.stdout()).toMatch(/exit code +1/);
  }, 20_000);

  it('-v shows the control connection on stderr: the SCCRQ, each retransmission with the peer, the state changes', async () => {
    const lac = startCli(silentPeerLac('-v'));
    expect(await lac.exited).toBe(1);
    const err = lac.stderr();
    const peer = `127\\.0\\.0\\.1:${silentPort}`;
    expect(err).toMatch(new RegExp(`l2tp:control tunnel \\d+ ${peer}: tx SCCRQ Ns 0 Nr 0`));
    expect(err.match(new RegExp(`${peer}: retransmit SCCRQ Ns 0`, 'g'))).toHaveLength(2);
    expect(err).toMatch(/wait-ctl-reply → closed on channel-failed/);
  }, 20_000);

  it('a second SIGINT forces the exit (code 1) while the graceful close still waits', async () => {
    const lac = startCli(['lac', '--peer', '127.0.0.1', '--peer-port', String(silentPort)]);
    await lac.waitFor(/lac on /);
    lac.signal('SIGINT');
    await new Promise<void>((resolve) => {
      const poll = () => (lac.stderr().includes('closing') ? resolve() : setTimeout(poll, 10));
      poll();
    });
    lac.signal('SIGINT');
    expect(await lac.exited).toBe(1);
    expect(lac.stderr()).toContain('second signal');
  }, 20_000);

  it('usage errors exit 2 with a message, from the installed command too', () => {
    const r = runCliSync(['lac', '--tunnels', '3']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--peer HOST is required');
    expect(r.out).toBe('');
  });

  it('the built command prints the package version', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(runCliSync(['--version'])).toMatchObject({ code: 0, out: `${pkg.version}\n` });
  });
});

describe('--hide and --hide-padding (in-process)', () => {
  const lac = (...args: string[]) => {
    const o = parseLacArgs(['--peer', '127.0.0.1', '--secret', 's', ...args]);
    if (o === 'help') throw new Error('help');
    return o;
  };
  const lns = (...args: string[]) => {
    const o = parseLnsArgs(['--secret', 's', ...args]);
    if (o === 'help') throw new Error('help');
    return o;
  };
  const hidden = (o: CommonOptions, version: 2 | 3) =>
    tunnelOptions(o, 'lac', version, () => 1).hiddenFields;
  const setupFields = (version: 2 | 3) =>
    (['SCCRQ', 'SCCRP', 'SCCCN'] as const).flatMap((t) => {
      const spec = MESSAGE_SPEC[t][version === 2 ? 'v2' : 'v3'];
      return [...spec.required, ...spec.optional] as string[];
    });

  it('alone: call-level AVPs only, nothing of SCCRQ/SCCRP (which xl2tpd and l2tpns refuse hidden)', () => {
    expect(hidden(lac('--hide'), 2)).toEqual(['assignedSessionId', 'callSerialNumber']);
    expect(hidden(lns('--hide'), 3)).toEqual([
      'localSessionId',
      'remoteSessionId',
      'callSerialNumber',
      'assignedCookie',
    ]);
    for (const version of [2, 3] as const) {
      const fields = hidden(lns('--hide', '--version', String(version)), version) ?? [];
      expect(fields.filter((f) => setupFields(version).includes(f))).toEqual([]);
    }
    // `--hide` followed by another option takes no value from it.
    expect(lac('--hide', '--json').json).toBe(true);
    expect(hidden(lac('--hide', '--json'), 2)).toEqual(['assignedSessionId', 'callSerialNumber']);
  });

  it('named AVPs, in any spelling, with or without the default set', () => {
    expect(hidden(lac('--hide', 'vendor-name,AssignedTunnelId'), 2)).toEqual([
      'vendorName',
      'assignedTunnelId',
    ]);
    expect(hidden(lac('--hide=default,vendorName'), 2)).toEqual([
      'assignedSessionId',
      'callSerialNumber',
      'vendorName',
    ]);
    expect(tunnelOptions(lac(), 'lac', 2, () => 1).hiddenFields).toBeUndefined();
  });

  it('--hide-padding: hidden values padded to 16 octets unless told otherwise', () => {
    expect(tunnelOptions(lac('--hide'), 'lac', 2, () => 1).hiddenValueMinLength).toBe(16);
    const eight = tunnelOptions(lac('--hide', '--hide-padding', '8'), 'lac', 2, () => 1);
    expect(eight.hiddenValueMinLength).toBe(8);
    const none = tunnelOptions(lac('--hide', '--hide-padding', '0'), 'lac', 2, () => 1);
    expect(none.hiddenValueMinLength).toBe(0);
    expect(tunnelOptions(lac(), 'lac', 2, () => 1).hiddenValueMinLength).toBeUndefined();
  });

  it.each([
    [['--hide', 'host-name'], '--hide: host-name must not be hidden (RFC 2661 §4.3)'],
    [['--hide', 'bogus'], '--hide: no AVP named "bogus" (e.g. assigned-session-id'],
    [['--hide', 'local-session-id'], '--hide: local-session-id is not an L2TPv2 AVP'],
    [['--hide-padding', '8'], '--hide-padding applies to --hide only'],
    [['--hide', '--hide-padding', '1018'], '--hide-padding: expected an integer in 0…1017'],
  ])('%j → usage error', (args, message) => {
    expect(() => lac(...args)).toThrow(message);
  });
});

describe('--peer host names (in-process)', () => {
  const lookup = (answer: ResolvedAddress[]) => async () => answer;
  const both: ResolvedAddress[] = [
    { address: '::1', family: 6 },
    { address: '127.0.0.1', family: 4 },
  ];

  it('an IP literal is used as is; a name gives its IPv4 address first, or the family of --local', async () => {
    const never = async (): Promise<ResolvedAddress[]> => {
      throw new Error('looked up');
    };
    expect(await resolvePeer('::1', undefined, never)).toBe('::1');
    expect(await resolvePeer('lns.example', undefined, lookup(both))).toBe('127.0.0.1');
    expect(await resolvePeer('lns.example', '::', lookup(both))).toBe('::1');
    expect(await resolvePeer('lns.example', undefined, lookup([both[0] as ResolvedAddress]))).toBe(
      '::1',
    );
    await expect(
      resolvePeer('lns.example', '0.0.0.0', lookup([both[0] as ResolvedAddress])),
    ).rejects.toThrow('no IPv4 address (--local 0.0.0.0)');
  });

  it('a name that does not resolve: exit 1 with the reason, before any socket is bound', async () => {
    let err = '';
    const code = await runCommand(['lac', '--peer', 'lns.example'], {
      stdout: () => {},
      stderr: (t) => {
        err += t;
      },
      readFile: () => new Uint8Array(0),
      isTTY: false,
      onSignal: () => () => {},
      wallClockMs: () => 0,
      lookup: async () => {
        throw new Error('getaddrinfo ENOTFOUND lns.example');
      },
    });
    expect(code).toBe(1);
    expect(err).toBe(
      'l2tp-core lac: cannot resolve --peer lns.example: getaddrinfo ENOTFOUND lns.example\n',
    );
  });
});

describe('usage (in-process)', () => {
  const run = (argv: string[]) => {
    let out = '';
    let err = '';
    const code = main(argv, {
      stdout: (t) => {
        out += t;
      },
      stderr: (t) => {
        err += t;
      },
      readFile: () => new Uint8Array(0),
    });
    return { code, out, err };
  };

  it.each([
    [['lac'], '--peer HOST is required'],
    [['lac', '--peer', 'lns_example!'], '--peer: not an IP address or host name: lns_example!'],
    [['lac', '--peer', '127.0.0.1', '--tunnels', '0'], '--tunnels: expected an integer in 1…4096'],
    [['lac', '--peer', '127.0.0.1', '--hide'], '--hide needs --secret'],
    [['lac', '--peer', '127.0.0.1', '--version', '4'], '--version: expected 2 or 3'],
    [['lns', '--cookie', '2'], '--cookie: expected 0, 4 or 8'],
    [['lns', '--duration', 'soon'], '--duration: expected seconds'],
    [['lns', '--port', '70000'], '--port: expected an integer in 0…65535'],
    [['lns', '--frames', '3'], 'unknown option --frames'],
    [['lns', 'extra'], 'unexpected argument: extra'],
    [['lac', '--peer', '127.0.0.1', '--rate', '0'], '--rate: expected an integer in 1…10000000'],
    [['lns', '--rate', '10'], 'unknown option --rate'],
    // Plain messages instead of parseArgs' ("argument is ambiguous", "Unknown option '--x'").
    [
      ['lac', '--peer', '127.0.0.1', '--secret', '--json'],
      "--secret needs a value, not the option --json (for a value starting with '-', write --secret=--json)",
    ],
    [['lac', '--peer', '127.0.0.1', '--secret'], '--secret needs a value'],
    [['lac', '--peer', '127.0.0.1', '--json=yes'], '--json takes no value'],
    [['lac', '--per', '127.0.0.1'], 'unknown option --per (did you mean --peer?)'],
    [['lac', '--peer', '127.0.0.1', '-x'], 'unknown option -x'],
  ])('%j → exit 2', (argv, message) => {
    const r = run(argv);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.err).toContain(message);
    expect(r.err).not.toMatch(/ambiguous|ERR_PARSE_ARGS|Unknown option '/);
    expect(r.out).toBe('');
  });

  it("a usage error inside a subcommand points at that subcommand's help", () => {
    const lac = run(['lac', '--tunnels', 'x']);
    expect(lac.err).toBe(
      'l2tp-core lac: --peer HOST is required\nRun `l2tp-core lac --help` for usage.\n',
    );
    expect(run(['lns', '--bogus']).err).toContain('Run `l2tp-core lns --help` for usage.');
    expect(run(['decode']).err).toContain('Run `l2tp-core decode --help` for usage.');
    expect(run(['nope']).err).toBe(
      'l2tp-core: unknown command: nope\nRun `l2tp-core --help` for usage.\n',
    );
  });

  it('--help wins over the rest of the command line, even one that does not parse', () => {
    for (const cmd of ['lac', 'lns', 'decode']) {
      const r = run([cmd, '--bogus', '--secret', '-h']);
      expect(r.code, cmd).toBe(ExitCode.OK);
      expect(r.out).toMatch(new RegExp(`^Usage: l2tp-core ${cmd}`));
    }
    // After `--` it is an argument, not a request for help; grouped with -v it is one.
    expect(run(['lns', '--', '--help']).code).toBe(ExitCode.USAGE);
    expect(run(['lac', '-vh'])).toMatchObject({ code: ExitCode.OK, out: LAC_HELP });
  });

  it('--version (and -V) prints the package version; lac --version N stays the protocol', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = run([flag]);
      expect(r.code).toBe(ExitCode.OK);
      expect(r.out).toBe(`${pkg.version}\n`);
    }
    expect(run(['--help']).out).toContain('l2tp-core --version');
    expect(run(['lac', '--peer', '127.0.0.1', '--version', '4']).err).toContain(
      '--version: expected 2 or 3',
    );
  });

  it('--help of lac and lns lists every option and the exit codes', () => {
    for (const cmd of ['lac', 'lns']) {
      const r = run([cmd, '--help']);
      expect(r.code).toBe(ExitCode.OK);
      for (const flag of ['--secret', '--hide', '--version', '--pcap', '--duration', '--json']) {
        expect(r.out).toContain(flag);
      }
      expect(r.out).toContain('Exit codes: 0 ok, 1 runtime failure, 2 usage error');
      expect(run(['help', cmd]).out).toBe(r.out);
    }
    expect(run(['lac', '--help']).out).toContain('--sessions N');
  });
});
