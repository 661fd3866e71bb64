// The guides (docs/guides/*.md) embed programs that live in docs/guides/code/*.ts. These tests
// check that every embedded block is byte-identical to its file, and run every program's entry
// point — on loopback UDP or on the simulator's virtual clock — asserting what its guide claims.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as lac from '../../docs/guides/code/build-a-lac.js';
import * as lns from '../../docs/guides/code/build-an-lns.js';
import * as transport from '../../docs/guides/code/custom-transport.js';
import * as debugging from '../../docs/guides/code/debugging.js';
import * as pseudowire from '../../docs/guides/code/static-pseudowire.js';
import * as daemon from '../../docs/guides/code/test-your-daemon.js';
import * as switching from '../../docs/guides/code/tunnel-switching.js';
import { main as cli, ExitCode } from '../../src/cli/main.js';
import { Endpoint } from '../../src/endpoint.js';
import { UsageError } from '../../src/errors.js';
import { nodeClock, nodeRandomBytes, nodeTimers } from '../../src/node/clock.js';
import { nodeCrypto } from '../../src/node/crypto.js';
import { UdpTransport } from '../../src/node/udp.js';

const guides = new URL('../../docs/guides/', import.meta.url);
const fast = { retransmitTimeoutMs: 50, maxRetransmitTimeoutMs: 1000, maxRetransmits: 1 };

describe('guide code blocks', () => {
  const markdown = readdirSync(guides).filter((f) => f.endsWith('.md'));
  const programs = readdirSync(new URL('code/', guides)).filter((f) => f.endsWith('.ts'));
  const embedded = new Map<string, string>();
  for (const md of markdown) {
    const text = readFileSync(new URL(md, guides), 'utf8');
    for (const m of text.matchAll(
      /<!-- code: ([\w.-]+) -->\n```ts\n([\s\S]*?)```\n<!-- \/code -->/g,
    )) {
      embedded.set(`${m[1]}`, `${m[2]}`);
    }
  }

  it('every program is embedded in a guide, and every marker names a program', () => {
    expect([...embedded.keys()].sort()).toEqual(programs.sort());
  });

  it.each(programs)('%s is embedded byte for byte', (file) => {
    const code = readFileSync(new URL(`code/${file}`, guides), 'utf8');
    const hint = `docs/guides embeds an old copy of code/${file}: run node scripts/sync-guides.mjs`;
    expect(embedded.get(file) === code, hint).toBe(true);
  });
});

describe('Build an LNS / Build a LAC', () => {
  it('the LNS accepts the LAC, authenticates it both ways and echoes every frame', async () => {
    const log: string[] = [];
    const server = await lns.main({
      address: '127.0.0.1',
      port: 0,
      secrets: { '127.0.0.1': 'guide-secret' },
      maxCalls: 10,
      timers: fast,
      log: (line) => log.push(line),
    });
    try {
      const result = await lac.main({
        lns: { address: '127.0.0.1', port: server.port },
        secret: 'guide-secret',
        frames: 20,
        connectTimeoutMs: 2000,
        timers: fast,
      });
      expect(result.peerAuthenticated).toBe(true);
      expect(result.framesReceived).toBe(20);
      expect(result.peerSessionId).not.toBe(0);
      expect(result.stopResultCode).toBe(1);
      expect(log.some((l) => /^tunnel \d+ up: lac\.example\.net$/.test(l))).toBe(true);
      expect(log.some((l) => /^call \d+ up in tunnel \d+$/.test(l))).toBe(true);
      expect(log.some((l) => /^call \d+ down \(by peer, result 3/.test(l))).toBe(true);
      expect(server.calls()).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('beyond maxCalls the LNS refuses the call with CDN Result 4', async () => {
    const server = await lns.main({
      address: '127.0.0.1',
      port: 0,
      secrets: { '127.0.0.1': 'guide-secret' },
      maxCalls: 0,
      timers: fast,
      log: () => {},
    });
    try {
      const err = await lac
        .main({
          lns: { address: '127.0.0.1', port: server.port },
          secret: 'guide-secret',
          frames: 1,
          connectTimeoutMs: 2000,
          timers: fast,
        })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: 'L2TP_ERR_REFUSED',
        reason: { by: 'peer', resultCode: 4 },
      });
    } finally {
      await server.close();
    }
  });

  it('an SCCRQ from an address without a secret is ignored: connect times out', async () => {
    const log: string[] = [];
    const server = await lns.main({
      address: '127.0.0.1',
      port: 0,
      secrets: { '192.0.2.1': 'someone-else' },
      maxCalls: 10,
      log: (line) => log.push(line),
    });
    try {
      const err = await lac
        .main({
          lns: { address: '127.0.0.1', port: server.port },
          secret: 'guide-secret',
          frames: 1,
          connectTimeoutMs: 200,
          // RFC timers: the first retransmission (1 s) comes after the timeout
        })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'L2TP_ERR_ABORTED', cause: { name: 'TimeoutError' } });
      expect(log[0]).toMatch(/^SCCRQ from unknown LAC 127\.0\.0\.1:\d+ ignored$/);
    } finally {
      await server.close();
    }
  });
});

describe('Tunnel switching', () => {
  const secret = 'guide-secret';
  const loopback = '127.0.0.1';

  it('LAC → TSA → LNS: the call is re-tunnelled to the LNS, every frame comes back', async () => {
    const lnsLog: string[] = [];
    const server = await lns.main({
      address: loopback,
      port: 0,
      secrets: { [loopback]: secret },
      maxCalls: 10,
      timers: fast,
      log: (line) => lnsLog.push(line),
    });
    const log: string[] = [];
    const tsa = await switching.main({
      address: loopback,
      port: 0,
      tsaId: 'tsa.example.net',
      secret,
      realms: { '*': { address: loopback, port: server.port } },
      timers: fast,
      log: (line) => log.push(line),
    });
    try {
      // The LAC guide's program, pointed at the TSA: it cannot tell it is not the LNS.
      const result = await lac.main({
        lns: { address: loopback, port: tsa.port },
        secret,
        frames: 20,
        connectTimeoutMs: 2000,
        timers: fast,
      });
      expect(result.peerAuthenticated).toBe(true);
      expect(result.framesReceived).toBe(20);
      expect(lnsLog.some((l) => /^tunnel \d+ up: tsa\.example\.net$/.test(l))).toBe(true);
      expect(log.some((l) => /^call \d+ switched to 127\.0\.0\.1:\d+ as call \d+$/.test(l))).toBe(
        true,
      );
      expect(log.some((l) => /^call \d+ ended by the first half, the other told 3$/.test(l))).toBe(
        true,
      );
      expect(tsa.stats()).toMatchObject({
        switched: 1,
        calls: 0,
        framesToSecond: 20,
        framesToFirst: 20,
        framesDropped: 0,
      });
    } finally {
      await tsa.close();
      await server.close();
    }
  });

  it('a call of a realm without an LNS is refused with CDN 2/10 (next hop unreachable)', async () => {
    const log: string[] = [];
    const tsa = await switching.main({
      address: loopback,
      port: 0,
      tsaId: 'tsa.example.net',
      secret,
      realms: { 'example.net': { address: loopback, port: 9 } },
      timers: fast,
      log: (line) => log.push(line),
    });
    const transport = await UdpTransport.open({ address: loopback, port: 0 });
    const endpoint = new Endpoint({
      transport,
      clock: nodeClock,
      timers: nodeTimers,
      randomBytes: nodeRandomBytes,
      crypto: nodeCrypto,
    });
    try {
      const tunnel = await endpoint.connect(
        { address: loopback, port: tsa.port },
        { mode: 'lac', hostName: 'lac.example.net', secret, ...fast },
      );
      const call = await tunnel.openSession({ calledNumber: 'bob@elsewhere.example' });
      const reason = await new Promise((resolve) => call.once('down', resolve));
      expect(reason).toMatchObject({ by: 'peer', resultCode: 2, errorCode: 10 });
      expect(log).toContain('call refused: CDN 2/10 next hop unreachable');
    } finally {
      endpoint.destroy();
      await transport.close();
      await tsa.close();
    }
  });
});

describe('A static L2TPv3 pseudowire', () => {
  it('Host 2 reflects every frame; both ends count them under the kernel names', async () => {
    const frames = 25;
    const r = await pseudowire.main({
      host1: '127.0.0.1',
      host2: '127.0.0.1',
      port1: 0,
      port2: 0,
      frames,
    });
    expect(r.replies).toBe(frames);
    for (const stats of [r.host1, r.host2]) {
      expect(stats).toMatchObject({
        tx_packets: frames,
        tx_bytes: frames * 60,
        rx_packets: frames,
        rx_bytes: frames * 60,
        rx_errors: 0,
        rx_cookie_discards: 0,
        rx_seq_discards: 0,
        rx_invalid: 0,
      });
    }
  });
});

describe('Write a transport or a TUN/TAP backend', () => {
  it('frames written into one TAP come out of the other; a managed tunnel comes up', async () => {
    const frames = [0, 1, 2].map((n) =>
      Uint8Array.from({ length: 60 }, (_, i) => (i * 7 + n) & 0xff),
    );
    const r = await transport.main(frames);
    expect(r.tap2).toEqual(frames);
    expect(r.tap1).toEqual([]);
    expect(r.managedTunnelUp).toBe(true);
  });

  it('the memory transport keeps the DatagramTransport contract', async () => {
    const net = new transport.MemoryNetwork();
    const a = net.open('10.0.0.1', 1);
    const b = net.open('10.0.0.2', 1);
    expect(() => net.open('10.0.0.2', 1)).toThrow(UsageError);
    const got: [string, number][] = [];
    b.onDatagram(() => {
      throw new Error('handler fault');
    });
    const off = b.onDatagram((bytes, from) => got.push([from.address, bytes.length]));
    const header = Uint8Array.of(1, 2);
    const payload = Uint8Array.of(3, 4, 5);
    a.send([header, payload], b.local);
    expect(got).toEqual([]); // not delivered inside send
    header[0] = 9; // the sender may reuse its arrays once send returned
    await Promise.resolve();
    expect(got).toEqual([['10.0.0.1', 5]]);
    expect(net.errors).toHaveLength(1);
    off();
    a.close();
    a.close();
    expect(() => a.send(header, b.local)).toThrow(UsageError);
  });
});

describe('Test your daemon with the simulator and the arbitraries', () => {
  const link = {
    latencyMs: 20,
    jitterMs: 10,
    lossRate: 0.2,
    duplicateRate: 0.05,
    reorderRate: 0.1,
  };

  it('over a 20 % loss link the tunnel and call come up by retransmission, in virtual time', async () => {
    const started = performance.now();
    const r = await daemon.lossyRun(7, link);
    expect(r.lost).toBeGreaterThan(0);
    expect(r.sessionUpAtMs).toBeGreaterThanOrEqual(r.tunnelUpAtMs);
    expect(r.framesEchoed).toBeGreaterThan(0);
    expect(r.framesEchoed).toBeLessThan(r.framesSent); // data is not retransmitted
    expect(r.endedAtMs).toBeGreaterThan(r.sessionUpAtMs);
    expect(performance.now() - started).toBeLessThan(2000); // seconds of protocol time, fast
  });

  it('the same seed gives the same run; another seed another run', async () => {
    const a = await daemon.lossyRun(11, link);
    expect(await daemon.lossyRun(11, link)).toEqual(a);
    const others = await Promise.all([12, 13, 14].map((s) => daemon.lossyRun(s, link)));
    expect(others.some((o) => JSON.stringify(o) !== JSON.stringify(a))).toBe(true);
  });

  it('a lossless link loses nothing and echoes everything', async () => {
    const r = await daemon.lossyRun(1, { latencyMs: 5 });
    expect(r.lost).toBe(0);
    expect(r.retransmissions).toBe(0);
    expect(r.framesEchoed).toBe(r.framesSent);
  });

  it('fuzzing: the daemon survives valid, near-valid and random datagrams and leaks no tunnel', () => {
    const r = daemon.fuzzDaemon(60, 20261125);
    expect(r.runs).toBe(60);
    expect(r.runsWithTunnels).toBeGreaterThan(0);
  });
});

describe('Debugging with DEBUG=l2tp:* and l2tp-core decode', () => {
  it('a wrong secret: debug lines, a capture, and `l2tp-core decode --secret` shows the failed check', async () => {
    const r = await debugging.main('lns-secret', 'lac-secret');
    expect(r.failure).toEqual({ by: 'error', resultCode: 4 });
    expect(r.debugLines.some((l) => l.includes('l2tp:tunnel'))).toBe(true);
    expect(r.summaries[0]).toMatch(/SCCRQ/);
    expect(r.summaries.some((s) => /StopCCN/.test(s))).toBe(true);

    let out = '';
    // Decoded with the secret the LAC was given, the LNS's Challenge Response does not match.
    const code = cli(['decode', '-v', '--secret', 'lac-secret', ...r.capture], {
      stdout: (t) => {
        out += t;
      },
      stderr: () => {},
      readFile: () => new Uint8Array(),
    });
    expect(code).toBe(ExitCode.PROBLEMS_FOUND);
    expect(out).toMatch(/^ {2}challenge response MISMATCH \(challenge of frame 1\)$/m);
    expect(out.split('\n').filter((l) => /^\d+ /.test(l))).toHaveLength(r.capture.length);
  });
});
