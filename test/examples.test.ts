/**
 * The examples users run (examples/demo.mjs = `npm run demo`, examples/codec-demo.mjs) run as
 * child processes against dist/ (built in beforeAll when stale), and what they print is checked
 * against itself: ids, sequence numbers and counts must agree across lines, not just appear.
 * Loopback UDP only. Not here: examples/linux-host (needs a TAP device and root).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from './package/dist.js';

const run = promisify(execFile);

async function example(
  file: string,
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [join(ROOT, 'examples', file)], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    timeout: 30_000,
  });
}

/** All matches of a global regex, as capture arrays. */
function all(text: string, re: RegExp): RegExpExecArray[] {
  return [...text.matchAll(re)];
}

function one(text: string, re: RegExp): RegExpExecArray {
  const m = re.exec(text);
  if (m === null) throw new Error(`no line matches ${re} in:\n${text}`);
  return m;
}

/** A row of the demo's closing console.table. */
function tableValue(text: string, row: string): string {
  return one(text, new RegExp(`│ ${row}\\s+│ '?([^'│\\s]+)'?\\s+│`))[1] as string;
}

beforeAll(ensureBuilt, 120_000);

describe.concurrent('examples/demo.mjs (npm run demo)', () => {
  for (const [sessions, frames] of [
    [4, 25], // the defaults README.md describes: "100 of 100 frames echoed"
    [2, 3],
  ] as const) {
    it(`${sessions} sessions × ${frames} frames: tunnel, sessions, echoes and teardown agree`, async () => {
      const env = sessions === 4 ? {} : { SESSIONS: String(sessions), FRAMES: String(frames) };
      const { stdout, stderr } = await example('demo.mjs', env);
      expect(stderr).toBe('');

      // Both ends report the tunnel up with the other's host name and authentication.
      const lacUp = one(stdout, /LAC: tunnel (\d+) up with lns\.demo, peer authenticated: true/);
      const lnsUp = one(stdout, /LNS: tunnel (\d+) up with lac\.demo, peer authenticated: true/);
      const lacTunnel = Number(lacUp[1]);
      const lnsTunnel = Number(lnsUp[1]);

      const sent = all(stdout, /(LAC|LNS) → L2TPv2 (\w+) \(tunnel (\d+), session (\d+), Ns=(\d+)/g);
      // A loaded machine may retransmit (the demo's timeout is 200 ms): a copy repeats its Ns and
      // type, so keep the first of each Ns. The LAC's Ns then runs 0, 1, 2, … with no gap.
      // A ZLB acknowledgement carries the next Ns without taking it (RFC 2661 §5.8): left out.
      const lacCopies = sent.filter((m) => m[1] === 'LAC' && m[2] !== 'ZLB');
      const byNs = new Map([...lacCopies].reverse().map((m) => [Number(m[5]), m]));
      for (const m of lacCopies) expect(byNs.get(Number(m[5]))?.[2]).toBe(m[2]);
      const lac = [...byNs.keys()]
        .sort((a, b) => a - b)
        .map((ns) => byNs.get(ns) as RegExpExecArray);
      expect(lac.map((m) => Number(m[5]))).toEqual(lac.map((_, i) => i));
      const types = lac.map((m) => m[2]);
      expect(types.slice(0, 2)).toEqual(['SCCRQ', 'SCCCN']);
      expect(types.slice(-2)).toEqual(['CDN', 'StopCCN']);
      // ICRQ and ICCN per session; the k-th ICCN follows the k-th ICRQ (it answers an ICRP).
      const icrq = types.flatMap((t, i) => (t === 'ICRQ' ? [i] : []));
      const iccn = types.flatMap((t, i) => (t === 'ICCN' ? [i] : []));
      expect([icrq.length, iccn.length, types.length]).toEqual([
        sessions,
        sessions,
        4 + 2 * sessions,
      ]);
      for (let k = 0; k < sessions; k++) expect(iccn[k]).toBeGreaterThan(icrq[k] as number);

      // Every control message carries the receiver's tunnel id (RFC 2661 §3.1), except the
      // LAC's SCCRQ, sent before it knows one (tunnel 0).
      expect(lac.map((m) => Number(m[3]))).toEqual([0, ...lac.slice(1).map(() => lnsTunnel)]);
      const lns = sent.filter((m) => m[1] === 'LNS');
      for (const m of lns) expect(Number(m[3])).toBe(lacTunnel);
      expect(new Set(lns.filter((m) => m[2] === 'ICRP').map((m) => m[5])).size).toBe(sessions);

      // Each session comes up with a peer session id; the ICCNs went to exactly those ids.
      const up = all(stdout, /LAC: session (\d+) up \(peer session (\d+)\)/g);
      expect(up).toHaveLength(sessions);
      const peerIds = up.map((m) => Number(m[2])).sort((a, b) => a - b);
      const iccnIds = lac.filter((m) => m[2] === 'ICCN').map((m) => Number(m[4]));
      expect(iccnIds.sort((a, b) => a - b)).toEqual(peerIds);

      const total = sessions * frames;
      expect(stdout).toContain(`LAC: ${total} of ${total} frames echoed by the LNS`);

      // The first session closes with a CDN to its peer session, then the tunnel with StopCCN.
      const [firstId, firstPeer] = [Number(up[0]?.[1]), Number(up[0]?.[2])];
      expect(stdout).toMatch(new RegExp(`LAC: session ${firstId} closed \\(by local, result 3\\)`));
      expect(Number(lac.find((m) => m[2] === 'CDN')?.[4])).toBe(firstPeer);
      expect(stdout).toContain(`LNS: tunnel ${lnsTunnel} down (by peer, result 1)`);
      expect(stdout).toContain('LAC: tunnel closed (by local, result 1)');

      expect(tableValue(stdout, 'frames sent')).toBe(String(total));
      expect(tableValue(stdout, 'frames received')).toBe(String(total));
      expect(tableValue(stdout, 'datagrams dropped')).toBe('0');
      expect(tableValue(stdout, 'sessions before close')).toBe(String(sessions - 1));
      expect(tableValue(stdout, 'control messages sent')).toBe(String(lac.length - 1));
    }, 30_000);
  }
});

describe('examples/codec-demo.mjs', () => {
  it('decodes every datagram it sends and verifies what it claims to verify', async () => {
    const { stdout, stderr } = await example('codec-demo.mjs');
    expect(stderr).toBe('');
    const [, decoded, sent] = one(stdout, /LNS decoded (\d+) of (\d+) datagrams\./);
    expect(decoded).toBe(sent);
    // One "←" line per datagram received.
    expect(all(stdout, /^← /gm)).toHaveLength(Number(sent));

    expect(stdout).toContain('challenge response verified (RFC 2661 §5.1.1)');
    expect(stdout).toContain('message digest verified (RFC 3931 §5.4.1)');
    expect(stdout).not.toContain('WRONG');
    // Hidden AVPs come back with the values the LAC hid.
    expect(stdout).toMatch(/AssignedTunnelId \(9\) \[M-\] = 4242 {3}\(was hidden\)/);
    expect(stdout).toMatch(/VendorName \(8\) \[--\] = "l2tp-core demo" {3}\(was hidden\)/);
    expect(stdout).toMatch(/CallSerialNumber \(15\) \[M-\] = 1 {3}\(was hidden\)/);
    // The sequenced PPP frame's payload, byte for byte.
    expect(stdout).toContain('payload (8 bytes): ff03c02101010004');
    // The malformed message is rejected with the wire error, the truncated one classified.
    expect(stdout).toContain(
      'rejected: ProtocolError L2TP_ERR_UNKNOWN_MANDATORY_AVP: unknown mandatory AVP 0:250',
    );
    expect(stdout).toContain('← invalid datagram: shorter than a control header');
    // The six xl2tpd captures decode to their message types, the StopCCN with its text.
    expect(stdout).toContain('HostName (7) [M-] = "lac.test"');
    expect(stdout).toContain('"Goodbye!"');
    expect(all(stdout, /^← L2TPv2 (\w+) \(tunnel (?!17\b)/gm).map((m) => m[1])).toEqual([
      'SCCRQ',
      'SCCRQ',
      'SCCRP',
      'ICRQ',
      'CDN',
      'StopCCN',
      'ZLB',
    ]);
  }, 30_000);
});

describe('README quick start (examples/readme/quick-start.mjs)', () => {
  it('README.md embeds the file byte for byte', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const code = readFileSync(join(ROOT, 'examples/readme/quick-start.mjs'), 'utf8');
    const m =
      /<!-- code: examples\/readme\/quick-start\.mjs -->\n```js\n([\s\S]*?)```\n<!-- \/code -->/.exec(
        readme,
      );
    expect(m?.[1] === code, 'README.md embeds an old copy of examples/readme/quick-start.mjs').toBe(
      true,
    );
  });

  it('runs to completion on its own: frame echoed, StopCCN acknowledged, the process exits', async () => {
    const started = performance.now();
    const { stdout, stderr } = await example('readme/quick-start.mjs');
    expect(stderr).toBe('');
    expect(stdout).toContain('echoed: Uint8Array(6) [ 192, 33, 1, 1, 0, 4 ]');
    expect(stdout).toContain("tunnel down: { by: 'local', resultCode: 1 }");
    expect(stdout).toContain('close: acknowledged');
    // No post-close hold on the closing side, and no socket left to keep the process alive.
    expect(performance.now() - started).toBeLessThan(10_000);
  }, 30_000);
});
