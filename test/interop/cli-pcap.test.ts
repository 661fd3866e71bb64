/**
 * Interop of the CLI's captures with Wireshark: `l2tp-core lac` and `lns` run over loopback
 * (LNS on 127.0.0.2 so tshark can tell the ends apart for Message Digests) and record with
 * `--pcap`; tshark (4.0.17) decodes the recordings with zero expert items and nothing malformed,
 * checks IP/UDP checksums and v3 digests with the secret, and sees the expected message sequence.
 * Then `l2tp-core decode --json` and tshark's `-T fields` are compared field by field (message
 * type, Tunnel/Session IDs or CCID, Ns/Nr, AVP types) on those captures and on the xl2tpd ones.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { buildCli, jsonEvents, removeCliBuild, startCli } from '../cli/cli-process.js';
import { XL2TPD_AUTH_SECRET } from '../fixtures/xl2tpd.js';
import { tsharkAvailable, tsharkDecode } from '../helpers/tshark.js';

const HAVE_TSHARK = tsharkAvailable();
const dir = mkdtempSync(join(tmpdir(), 'l2tp-cli-pcap-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  removeCliBuild();
});

interface Recording {
  readonly tunnels: number;
  readonly file: string;
  readonly port: number;
  readonly secret: string;
}

/** Runs lns (127.0.0.2) and lac (127.0.0.1) with --pcap on the LAC; SIGINT on both. */
async function record(name: string, tunnels: number, args: string[]): Promise<Recording> {
  const secret = `${name}-secret`;
  const file = join(dir, `${name}.pcap`);
  const lns = startCli([
    'lns',
    '--local',
    '127.0.0.2',
    '--port',
    '0',
    '--json',
    '--secret',
    secret,
    ...args,
  ]);
  const listening = JSON.parse(await lns.waitFor(/"event":"listening"/)) as { local: string };
  const port = Number(listening.local.split(':')[1]);
  const lac = startCli([
    'lac',
    '--local',
    '127.0.0.1',
    '--peer',
    '127.0.0.2',
    '--peer-port',
    String(port),
    '--secret',
    secret,
    '--tunnels',
    String(tunnels),
    '--sessions',
    '2',
    '--frames',
    '2',
    '--json',
    '--pcap',
    file,
    ...args,
  ]);
  await lac.waitFor(/"event":"frames"/);
  lac.signal('SIGINT');
  expect(await lac.exited).toBe(0);
  lns.signal('SIGINT');
  expect(await lns.exited).toBe(0);
  expect(jsonEvents(lac.stdout()).find((e) => e.event === 'summary')).toMatchObject({
    exitCode: 0,
  });
  return { tunnels, file, port, secret };
}

/** `l2tp-core decode --json` of a capture, control and data messages. */
function decodeJson(file: string, ports: number[], secret?: string) {
  let out = '';
  main(
    [
      'decode',
      '--json',
      '--pcap',
      file,
      ...ports.flatMap((p) => ['--port', String(p)]),
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
  return jsonEvents(out);
}

const FIELDS = [
  'frame.number',
  'l2tp.type',
  'l2tp.tunnel',
  'l2tp.session',
  'l2tp.ccid',
  'l2tp.sid',
  'l2tp.Ns',
  'l2tp.Nr',
  'l2tp.avp.message_type',
  'l2tp.avp.type',
  'l2tp.avp.hidden',
] as const;

/** tshark `-T fields`: one record per L2TP frame, every occurrence of a field joined by ','. */
function tsharkFields(file: string, ports: number[], prefs: Record<string, string> = {}) {
  const args = ['-r', file, '-n', '-Y', 'l2tp', '-T', 'fields', '-E', 'occurrence=a'];
  args.push('-E', 'aggregator=,', '-E', 'separator=/t');
  for (const p of ports) args.push('-d', `udp.port==${p},l2tp`);
  for (const [k, v] of Object.entries(prefs)) args.push('-o', `${k}:${v}`);
  for (const f of FIELDS) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`tshark: ${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .map((line) => Object.fromEntries(line.split('\t').map((v, i) => [FIELDS[i], v])));
}

const num = (v: string | undefined) =>
  v === undefined || v === '' ? undefined : Number(v.startsWith('0x') ? Number.parseInt(v, 16) : v);

const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .filter((x) => x !== '')
    .map(Number);

/** Field-by-field comparison of decode --json with tshark -T fields; returns the frames compared. */
function compare(
  file: string,
  ports: number[],
  prefs: Record<string, string> = {},
  secret?: string,
) {
  const ours = decodeJson(file, ports, secret);
  const theirs = tsharkFields(file, ports, prefs);
  expect(ours.map((o) => o.frame)).toEqual(theirs.map((t) => num(t['frame.number'])));
  for (const [i, o] of ours.entries()) {
    const t = theirs[i] as Record<string, string>;
    const at = `frame ${o.frame}`;
    expect(num(t['l2tp.type']), at).toBe(o.kind === 'control' ? 1 : 0);
    if (o.kind === 'control') {
      if (o.version === 2) {
        expect([num(t['l2tp.tunnel']), num(t['l2tp.session'])], at).toEqual([
          o.tunnelId,
          o.sessionId,
        ]);
      } else {
        expect(num(t['l2tp.ccid']), at).toBe(o.connectionId);
      }
      expect([num(t['l2tp.Ns']), num(t['l2tp.Nr'])], at).toEqual([o.ns, o.nr]);
      expect(num(t['l2tp.avp.message_type']), at).toBe(o.messageType ?? undefined);
      // tshark gives hidden AVPs no type field; their H bits are compared instead.
      const avps = o.avps as { vendorId: number; attributeType: number; hidden: boolean }[];
      const types = avps.filter((a) => a.vendorId === 0 && !a.hidden).map((a) => a.attributeType);
      expect(list(t['l2tp.avp.hidden']), at).toEqual(avps.map((a) => (a.hidden ? 1 : 0)));
      expect(list(t['l2tp.avp.type']), at).toEqual(types);
    } else if (o.version === 2) {
      expect([num(t['l2tp.tunnel']), num(t['l2tp.session'])], at).toEqual([
        o.tunnelId,
        o.sessionId,
      ]);
    } else {
      expect(num(t['l2tp.sid']), at).toBe(o.sessionId);
    }
  }
  return ours.length;
}

describe.skipIf(!HAVE_TSHARK)('CLI captures in Wireshark', () => {
  let v2: Recording;
  let v3: Recording;
  beforeAll(async () => {
    buildCli();
    v2 = await record('v2', 2, ['--hide']);
    // One v3 tunnel: tshark keys its digest state (nonces) by UDP conversation, so a second
    // control connection between the same two sockets makes it check with the wrong nonces.
    v3 = await record('v3', 1, ['--version', '3', '--cookie', '8']);
  }, 120_000);

  const prefsOf = (r: Recording, v3prefs: boolean): Record<string, string> => ({
    'ip.check_checksum': 'TRUE',
    'udp.check_checksum': 'TRUE',
    ...(v3prefs ? { 'l2tp.cookie_size': 'cookie8', 'l2tp.shared_secret': r.secret } : {}),
  });

  for (const version of [2, 3] as const) {
    it(`v${version}: no expert item, nothing malformed, checksums good, the expected sequence`, () => {
      const r = version === 2 ? v2 : v3;
      const packets = tsharkDecode(r.file, {
        decodeAs: [`udp.port==${r.port},l2tp`],
        prefs: prefsOf(r, version === 3),
      });
      expect(packets.length).toBeGreaterThan(20 * r.tunnels);
      for (const p of packets) {
        expect([p.frame, p.malformed, p.expert]).toEqual([p.frame, false, []]);
        expect(p.protocols).toMatch(/^raw:ip:udp:l2tp/);
      }
      const names = packets.filter((p) => p.l2tp?.control).map((p) => p.l2tp?.messageName);
      const count = (n: string) => names.filter((x) => x === n).length;
      expect([
        count('Start_Control_Request'),
        count('Start_Control_Reply'),
        count('Start_Control_Connected'),
        count('Incoming_Call_Request'),
        count('Incoming_Call_Reply'),
        count('Incoming_Call_Connected'),
        count('Call_Disconnect_Notification'),
        count('Stop_Control_Notification'),
      ]).toEqual([1, 1, 1, 2, 2, 2, 2, 1].map((n) => n * r.tunnels));
      expect(names[0]).toBe('Start_Control_Request');
      // 2 sessions per tunnel × 2 frames, each echoed.
      expect(packets.filter((p) => p.l2tp !== undefined && !p.l2tp.control)).toHaveLength(
        8 * r.tunnels,
      );
      if (version === 2) {
        // --hide alone hides call-level AVPs, nothing of SCCRQ/SCCRP (which peers refuse).
        const sccrq = packets.find((p) => p.l2tp?.messageType === 1);
        expect(sccrq?.l2tp?.avps.filter((a) => a.hidden)).toEqual([]);
        const icrq = packets.find((p) => p.l2tp?.messageType === 10);
        expect(icrq?.l2tp?.avps.filter((a) => a.hidden).length).toBe(2);
      }
    });

    it(`v${version}: decode --json agrees with tshark -T fields on every frame`, () => {
      const r = version === 2 ? v2 : v3;
      const frames = compare(
        r.file,
        [r.port],
        version === 3 ? { 'l2tp.cookie_size': 'cookie8' } : {},
      );
      expect(frames).toBeGreaterThan(20 * r.tunnels);
    });
  }

  it('the xl2tpd captures: decode --json agrees with tshark -T fields', () => {
    expect(compare('test/fixtures/xl2tpd/basic.pcap', [17010, 17011])).toBe(17);
    expect(
      compare('test/fixtures/xl2tpd/auth.pcap', [17020], {}, XL2TPD_AUTH_SECRET),
    ).toBeGreaterThan(5);
  });
});
