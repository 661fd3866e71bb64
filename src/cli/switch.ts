/**
 * `l2tp-core switch`: an L2TP Tunnel Switching Aggregator (draft-ietf-l2tpext-tunnel-switching-08)
 * over real UDP, on the library's TunnelSwitch. It accepts tunnels (L2TPv2 and L2TPv3 over UDP)
 * and incoming calls from LACs as an LNS, picks each call's next hop from the route rules
 * (switch-routes.ts), and places the call there as a LAC (an LNS's outgoing call: as an
 * outgoing call, the switch the LNS there); frames cross both ways. Prints one
 * line per call switched, refused or ended, and a summary from the switch's stats() when a
 * signal ends it (graceful close as `lns`: CDNs, then StopCCNs).
 * Not here: the route rules' syntax and matching (switch-routes.ts), the switch (src/switch).
 */

import { classify } from '../codec/classify.js';
import { generalErrorName, PseudowireType, resultCodeName } from '../constants.js';
import type { IncomingTunnelInfo, TunnelOptions } from '../endpoint.js';
import type { ResultCodes } from '../fsm/types.js';
import { nodeClock, nodeRandomBytes, nodeTimers } from '../node/clock.js';
import { nodeCrypto } from '../node/crypto.js';
import type { SwitchDestination, SwitchedCall, SwitchRoute } from '../switch/switch.js';
import { TunnelSwitch } from '../switch/switch.js';
import { describeReason, type Session } from '../tunnel.js';
import { CliUsage, parseCommandArgs } from './args.js';
import {
  afterDatagrams,
  type CommonOptions,
  closeTunnels,
  endText,
  openRun,
  RunExit,
  type RunIo,
  randomU32,
  Shutdown,
} from './run.js';
import {
  checkTsaId,
  findRoutes,
  type HostPort,
  parseHostPort,
  parseRouteRule,
  parseRoutesFile,
  type RouteRule,
} from './switch-routes.js';

/** `l2tp-core switch` options, parsed (the command line over the `--routes` file). */
export interface SwitchOptions {
  readonly listen: HostPort;
  /** Shared secret of the First tunnels (from LACs). */
  readonly secret: string | undefined;
  /** Our Host Name, towards LACs and (unless a route says otherwise) next hops. */
  readonly hostName: string;
  /** Our TSA ID; '' = none (no loop detection). */
  readonly tsaId: string;
  readonly idleMs: number | undefined;
  /** TunnelSwitchOptions.nextHopTimeoutMs. */
  readonly hopTimeoutMs: number | undefined;
  /** TunnelSwitchOptions.nextHopHoldDownMs. */
  readonly holdDownMs: number | undefined;
  readonly maxCalls: number | undefined;
  /** In order: the first match wins. */
  readonly routes: readonly RouteRule[];
  readonly pcap: string | undefined;
  readonly json: boolean;
  readonly verbose: boolean;
}

/** `l2tp-core switch --help`. */
export const SWITCH_HELP = `Usage: l2tp-core switch --route RULE... [options]
       l2tp-core switch --routes FILE [options]

An L2TP tunnel switch (TSA, draft-ietf-l2tpext-tunnel-switching-08): accepts tunnels and
incoming calls from LACs as an LNS (L2TPv2 and L2TPv3 over UDP), picks a next hop for each call
by its Called Number or realm, and places the call there as a LAC, on a tunnel shared by every
call to that next hop; PPP frames cross both ways. An LNS's outgoing calls (OCRQ) are routed the
same way and placed as outgoing calls. Prints a line per call switched, refused or
ended; on Ctrl-C closes every tunnel and prints a summary.

Routes (in order, the first match wins; no match: CDN 2/10, next hop unreachable; later rules
with the same MATCH are its alternatives, tried in turn while a next hop is unreachable or busy):
  --route RULE          MATCH=NEXTHOP[,v3][,ip][,secret=S][,hostname=H], repeatable
                          MATCH    a Called Number (exact), @domain (the realm of the Proxy
                                   Authen Name or of a Called Number user@domain), or *
                          NEXTHOP  ADDR[:PORT] (port 1701 when omitted; IPv6 as [ADDR]:PORT)
                          v3       L2TPv3 over UDP to the next hop (default L2TPv2)
                          ip       L2TPv3 over IP: refused here (needs a raw socket)
                          secret=S, hostname=H  that tunnel's secret and our Host Name in it
  --routes FILE         routes (and the options below) from a JSON file, see docs/cli.md

Options:
  --listen ADDR[:PORT]  where LACs connect (default 0.0.0.0:1701; port 0 = a free one)
  --secret S            shared secret of the tunnels from LACs (next hops: secret=S)
  --host-name NAME      our Host Name (default l2tp-core-switch); --hostname is the same
  --tsa-id ID           our TSA ID, at most 64 octets: stacked on every call we relay; a call
                        that already crossed it is refused with CDN 26, loop detected
                        (default none: no loop detection)
  --idle-ms N           close a next-hop tunnel N ms after its last call (default 10000)
  --hop-timeout-ms N    give up a next hop whose call is not up within N ms: CDN 2/10, or
                        the rule's next alternative (default 10000)
  --hold-down-ms N      pass over a next hop found unreachable for N ms while its rule has
                        alternatives left (default 30000; 0 = never)
  --max-calls N         most calls at once; beyond, CDN 2/12, TSA busy (default 65535)
  --pcap FILE           record every datagram sent and received (pcap, raw IP + UDP)
  --json                events and summary as JSON lines
  -v, --verbose         the control connections' messages, retransmissions and state
                        changes (stderr)
  -h, --help            this help

Options on the command line win over the file's. SIGINT / SIGTERM closes gracefully (CDN and
StopCCN sent, acknowledgements awaited); a second one exits at once.
Exit codes: 0 ok, 1 runtime failure, 2 usage error.
`;

function integer(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new CliUsage(`${flag}: expected an integer in ${min}…${max}, got ${text}`);
  }
  return n;
}

/**
 * Parses `switch` arguments, reading `--routes FILE` with `readFile`; `'help'` when -h was given.
 * @throws CliUsage (bad option or value, unreadable or invalid file, no routes, an `ip` route).
 */
export function parseSwitchArgs(
  args: readonly string[],
  readFile: (path: string) => Uint8Array,
): SwitchOptions | 'help' {
  const { values } = parseCommandArgs(
    args,
    {
      help: { type: 'boolean', short: 'h' },
      listen: { type: 'string' },
      secret: { type: 'string' },
      'host-name': { type: 'string' },
      hostname: { type: 'string' },
      'tsa-id': { type: 'string' },
      'idle-ms': { type: 'string' },
      'hop-timeout-ms': { type: 'string' },
      'hold-down-ms': { type: 'string' },
      'max-calls': { type: 'string' },
      route: { type: 'string', multiple: true },
      routes: { type: 'string' },
      pcap: { type: 'string' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
    },
    false,
  );
  if (values.help === true) return 'help';
  const s = (k: string) => values[k] as string | undefined;
  const rules = values.route as string[] | undefined;
  const file = s('routes');
  if (rules !== undefined && file !== undefined) {
    throw new CliUsage('give either --route RULE... or --routes FILE, not both');
  }
  if (rules === undefined && file === undefined) {
    throw new CliUsage('no routes: give --route RULE (repeatable) or --routes FILE');
  }
  let fromFile: ReturnType<typeof parseRoutesFile> | undefined;
  if (file !== undefined) {
    let bytes: Uint8Array;
    try {
      bytes = readFile(file);
    } catch (err) {
      throw new CliUsage(`--routes ${file}: cannot read: ${(err as Error).message}`);
    }
    fromFile = parseRoutesFile(file, new TextDecoder().decode(bytes));
  }
  const routes = fromFile?.routes ?? (rules ?? []).map(parseRouteRule);
  for (const r of routes) {
    if (r.encap === 'ip') {
      throw new CliUsage(
        `route ${r.text}: L2TPv3 over IP (ip) needs a raw IP socket (root, CAP_NET_RAW), which ` +
          'this command does not open; use UDP (v3 without ip), or the TunnelSwitch API with an IpTransport',
      );
    }
  }
  const hostName = s('host-name') ?? s('hostname');
  if (s('host-name') !== undefined && s('hostname') !== undefined) {
    throw new CliUsage('--host-name and --hostname are the same option: give one');
  }
  if (hostName === '') throw new CliUsage('--host-name: empty name');
  if (s('secret') === '') throw new CliUsage('--secret: empty secret');
  const tsaId = s('tsa-id');
  const idle = s('idle-ms');
  const hopTimeout = s('hop-timeout-ms');
  const holdDown = s('hold-down-ms');
  const max = s('max-calls');
  return {
    listen:
      s('listen') === undefined
        ? (fromFile?.listen ?? { address: '0.0.0.0', port: 1701 })
        : parseHostPort('--listen', s('listen') as string, 1701, 0),
    secret: s('secret') ?? fromFile?.secret,
    hostName: hostName ?? fromFile?.hostName ?? 'l2tp-core-switch',
    tsaId: tsaId === undefined ? (fromFile?.tsaId ?? '') : checkTsaId('--tsa-id', tsaId),
    idleMs: idle === undefined ? fromFile?.idleMs : integer('--idle-ms', idle, 0, 86_400_000),
    hopTimeoutMs:
      hopTimeout === undefined
        ? fromFile?.hopTimeoutMs
        : integer('--hop-timeout-ms', hopTimeout, 1, 3_600_000),
    holdDownMs:
      holdDown === undefined
        ? fromFile?.holdDownMs
        : integer('--hold-down-ms', holdDown, 0, 86_400_000),
    maxCalls: max === undefined ? fromFile?.maxCalls : integer('--max-calls', max, 1, 65_535),
    routes,
    pcap: s('pcap'),
    json: values.json === true,
    verbose: values.verbose === true,
  };
}

/** "CDN 2/10 (GeneralError, NextHopUnreachable) "message"". */
export function cdnText(c: ResultCodes): string {
  const names = [resultCodeName('CDN', c.resultCode)];
  // The Error Code is a General Error's (RFC 2661 §4.4.2); with another Result Code, a number.
  if (c.errorCode !== undefined && c.resultCode === 2) names.push(generalErrorName(c.errorCode));
  const codes = `${c.resultCode}${c.errorCode === undefined ? '' : `/${c.errorCode}`}`;
  const message = c.message === undefined ? '' : ` ${JSON.stringify(c.message)}`;
  return `CDN ${codes} (${names.join(', ')})${message}`;
}

function codeFields(c: ResultCodes): Record<string, unknown> {
  return {
    resultCode: c.resultCode,
    ...(c.errorCode === undefined ? {} : { errorCode: c.errorCode }),
    ...(c.message === undefined ? {} : { message: c.message }),
  };
}

/** "127.0.0.1:40000 call 1234/56": the peer, our Tunnel ID and Session ID. */
function callText(s: Session): string {
  return `${endText(s.tunnel.peer)} call ${s.tunnel.id}/${s.id}`;
}

function callFields(s: Session): Record<string, unknown> {
  return { peer: endText(s.tunnel.peer), tunnel: s.tunnel.id, session: s.id };
}

/** Runs `l2tp-core switch` with parsed options; resolves with the exit code. */
export async function runSwitch(o: SwitchOptions, io: RunIo): Promise<number> {
  // openRun's socket, pcap recording, -v and reporter; the other fields are lac/lns options.
  const common: CommonOptions = {
    local: o.listen.address,
    port: o.listen.port,
    version: undefined,
    secret: o.secret,
    hide: undefined,
    hidePadding: 0,
    hostName: o.hostName,
    cookie: 4,
    routerId: undefined,
    durationMs: undefined,
    retransmitMs: undefined,
    maxRetransmits: undefined,
    helloMs: undefined,
    pcap: o.pcap,
    json: o.json,
    verbose: o.verbose,
  };
  const run = await openRun(common, io, o.listen);
  if (run === undefined) return RunExit.FAILED;
  const { reporter } = run;

  // One options object per kind of tunnel: the switch and the endpoint resolve each once.
  const routerId = randomU32();
  const v3 = { routerId, pseudowireCapabilities: [PseudowireType.Ppp] };
  const base = {
    hostName: o.hostName,
    vendorName: 'l2tp-core',
    ...(o.secret === undefined ? {} : { secret: o.secret }),
  };
  const firstV2: TunnelOptions = { ...base, mode: 'lns', version: 2 };
  const firstV3: TunnelOptions = { ...base, ...v3, mode: 'lns', version: 3 };
  const accept = (info: IncomingTunnelInfo): TunnelOptions | undefined => {
    const c = classify(info.sccrq, 'udp');
    return c.kind !== 'control' ? undefined : c.version === 3 ? firstV3 : firstV2;
  };
  const destinations = new Map<RouteRule, SwitchDestination>();
  const ruleOf = new Map<SwitchDestination, RouteRule>();
  for (const r of o.routes) {
    destinations.set(r, {
      peer: r.peer,
      tunnel: {
        hostName: r.hostName ?? o.hostName,
        vendorName: 'l2tp-core',
        version: r.version,
        ...(r.version === 3 ? v3 : {}),
        ...(r.secret === undefined ? {} : { secret: r.secret }),
      },
      encap: r.encap,
      // Next hops that differ only in secret or host name get tunnels of their own.
      key: JSON.stringify([r.secret ?? null, r.hostName ?? null]),
    });
    ruleOf.set(destinations.get(r) as SwitchDestination, r);
  }

  // The first signal closes gracefully, a second one drops everything (`sw` exists by then).
  const stop = new Shutdown(() => {
    reporter.note('second signal: closing at once');
    sw.destroy();
  });
  // What the route saw of each First call, for the lines printed later.
  const calls = new WeakMap<Session, { called: string | undefined }>();
  const ruleText = (call: SwitchedCall) =>
    (call.destination === undefined ? undefined : ruleOf.get(call.destination)?.text) ?? '?';
  const route: SwitchRoute = (call) => {
    if (stop.requested) {
      return { refuse: { resultCode: 2, errorCode: 12, message: 'TSA shutting down' } };
    }
    // Rules of the same MATCH after the first are its alternative next hops (draft §5).
    const rules = findRoutes(o.routes, call);
    calls.set(call.first, { called: call.calledNumber });
    if (rules.length === 0) {
      const what =
        call.calledNumber === undefined
          ? 'a call without a Called Number'
          : JSON.stringify(call.calledNumber);
      return { refuse: { resultCode: 2, errorCode: 10, message: `no route for ${what}` } };
    }
    return rules.map((r) => destinations.get(r) as SwitchDestination);
  };

  const sw = new TunnelSwitch({
    transport: run.transport,
    clock: nodeClock,
    timers: nodeTimers,
    randomBytes: nodeRandomBytes,
    crypto: nodeCrypto,
    accept,
    route,
    tsaId: o.tsaId,
    ...(o.idleMs === undefined ? {} : { idleTunnelMs: o.idleMs }),
    ...(o.hopTimeoutMs === undefined ? {} : { nextHopTimeoutMs: o.hopTimeoutMs }),
    ...(o.holdDownMs === undefined ? {} : { nextHopHoldDownMs: o.holdDownMs }),
    ...(o.maxCalls === undefined ? {} : { maxCalls: o.maxCalls }),
  });
  sw.on('error', (err) => reporter.note(`error: ${err.message}`));

  const switched = new WeakSet<SwitchedCall>();
  const refused = new WeakSet<Session>();
  sw.on('switched', (call) => {
    switched.add(call);
    const second = call.second as Session;
    const info = calls.get(call.first);
    const called =
      info?.called === undefined ? 'no Called Number' : `called ${JSON.stringify(info.called)}`;
    const versions = `L2TPv${call.first.tunnel.version} → L2TPv${second.tunnel.version}`;
    reporter.event(
      'call-switched',
      {
        first: callFields(call.first),
        second: callFields(second),
        calledNumber: info?.called ?? null,
        route: ruleText(call),
        versions: [call.first.tunnel.version, second.tunnel.version],
      },
      `call switched: ${callText(call.first)} → ${callText(second)}, ${called} ` +
        `(route ${ruleText(call)}, ${versions})`,
    );
  });
  sw.on('rerouted', (call, failed, codes) => {
    const next = call.destination as SwitchDestination;
    reporter.event(
      'call-rerouted',
      {
        first: callFields(call.first),
        failed: endText(failed.peer),
        next: endText(next.peer),
        route: ruleText(call),
        ...codeFields(codes),
      },
      `call rerouted: ${callText(call.first)}: next hop ${endText(failed.peer)} failed ` +
        `(${cdnText(codes)}); trying ${endText(next.peer)}`,
    );
  });
  sw.on('refused', (first, codes) => {
    if (first === undefined) {
      // Refused at the request (loop, busy): the call never had a session of ours.
      reporter.event(
        'call-refused',
        { first: null, ...codeFields(codes) },
        `call refused at its request: ${cdnText(codes)}`,
      );
      return;
    }
    refused.add(first);
    const called = calls.get(first)?.called;
    reporter.event(
      'call-refused',
      { first: callFields(first), calledNumber: called ?? null, ...codeFields(codes) },
      `call refused: ${callText(first)}${called === undefined ? '' : `, called ${JSON.stringify(called)}`}: ${cdnText(codes)}`,
    );
  });
  sw.on('unswitched', ({ call, endedBy, reason, carried }) => {
    // A call refused while its Second call was set up was reported as refused.
    if (!switched.has(call) && refused.has(call.first)) return;
    const second = call.second;
    const pair =
      second === undefined ? callText(call.first) : `${callText(call.first)} ↔ ${callText(second)}`;
    const before = switched.has(call) ? '' : ' before it was switched';
    // The First peer is a LAC for an incoming call, an LNS for an outgoing one.
    const firstPeer = call.call === 'incoming' ? 'LAC' : 'LNS';
    const told =
      carried === undefined
        ? ''
        : `; ${endedBy === 'first' ? 'next hop' : firstPeer} told ${cdnText(carried)}`;
    reporter.event(
      'call-ended',
      {
        first: callFields(call.first),
        second: second === undefined ? null : callFields(second),
        endedBy,
        switched: switched.has(call),
        by: reason.by,
        ...(reason.resultCode === undefined ? {} : { resultCode: reason.resultCode }),
        ...(reason.errorCode === undefined ? {} : { errorCode: reason.errorCode }),
        ...(reason.message === undefined ? {} : { message: reason.message }),
        ...(carried === undefined ? {} : { carried: codeFields(carried) }),
        framesToSecond: call.framesToSecond,
        framesToFirst: call.framesToFirst,
      },
      `call ended${before}: ${pair}, ended by the ${endedBy === 'first' ? firstPeer : 'next hop'} side ` +
        `(${describeReason(reason)})${told}; frames: ${call.framesToSecond} to the next hop, ` +
        `${call.framesToFirst} to the ${firstPeer}`,
    );
  });

  const stopSignals = io.onSignal((signal) => {
    if (!stop.requested) reporter.note(`${signal}: closing (again to force)`);
    stop.request(true);
  });

  const local = endText(run.udp.local);
  const tsa =
    o.tsaId === '' ? 'no TSA ID (no loop detection)' : `TSA ID ${JSON.stringify(o.tsaId)}`;
  reporter.event(
    'listening',
    { role: 'switch', local, routes: o.routes.length, tsaId: o.tsaId === '' ? null : o.tsaId },
    `switch listening on ${local} (L2TPv2 and v3), ${o.routes.length} route${o.routes.length === 1 ? '' : 's'}, ${tsa}`,
  );
  await stop.stopped;
  const upAtShutdown = sw.stats().callsUp;
  if (!stop.forced) {
    await closeTunnels([...sw.endpoint.tunnels.values()], afterDatagrams(run.transport));
  }
  stopSignals();
  sw.destroy();

  const st = sw.stats();
  const exitCode = stop.forced ? RunExit.FAILED : RunExit.OK;
  const durationMs = run.elapsed();
  const pcapRecords = run.pcapRecords();
  if (o.json) {
    reporter.event(
      'summary',
      {
        role: 'switch',
        switched: st.switched,
        failed: st.failed,
        rerouted: st.rerouted,
        refusedLoop: st.refusedLoop,
        refusedBusy: st.refusedBusy,
        callsUpAtShutdown: upAtShutdown,
        framesToSecond: st.framesToSecond,
        framesToFirst: st.framesToFirst,
        framesDropped: st.framesDropped,
        pcapRecords,
        durationMs,
        exitCode,
      },
      '',
    );
  } else {
    const refusedAll = st.failed + st.refusedLoop + st.refusedBusy;
    const lines = [
      `summary (switch, ${(durationMs / 1000).toFixed(3)} s):`,
      `  calls            ${st.switched} switched, ${upAtShutdown} up at shutdown`,
      `  refused          ${refusedAll} (${st.failed} by route or next hop, ${st.refusedLoop} loop, ` +
        `${st.refusedBusy} TSA busy)`,
      `  rerouted         ${st.rerouted} (a next hop unreachable or busy, the next tried)`,
      `  frames           ${st.framesToSecond} to next hops, ${st.framesToFirst} to LACs, ` +
        `${st.framesDropped} dropped`,
    ];
    if (pcapRecords !== undefined) lines.push(`  pcap             ${pcapRecords} datagrams`);
    lines.push(`  exit code        ${exitCode}`);
    for (const line of lines) io.stdout(`${line}\n`);
  }
  await run.finish();
  return exitCode;
}
