/**
 * `l2tp-core lns`: accepts tunnels (L2TPv2, or L2TPv3 over UDP, or only the `--version` given)
 * and incoming calls, and echoes every data frame back on the session it came from. Runs until
 * `--duration` ends or a signal arrives, then closes every tunnel gracefully (StopCCN, RFC 2661
 * §5.7) and prints a summary. Exit 1 only for runtime failures of its own (socket, pcap file,
 * a forced close). `--metrics` serves the endpoint's Prometheus metrics over HTTP while it runs.
 * With `--ppp` it is a VPN server instead of an echo: PPP terminated on every call (PppServer,
 * users from `--users`, addresses from `--pool`) and IP packets routed between the calls and a
 * TUN device that carries the pool's first address and route; L2TPv2 only. Exit 2 for an
 * unreadable users file, 1 when the TUN device cannot be had.
 * Not here: option parsing, socket and shutdown plumbing (run.ts), output format (progress.ts),
 * the TUN module and `ip` (ppp-host.ts).
 */

import { readFileSync } from 'node:fs';
import { classify } from '../codec/classify.js';
import { resultCodeName } from '../constants.js';
import type { IncomingTunnelInfo } from '../endpoint.js';
import { nodeClock, nodeRandomBytes, nodeTimers } from '../node/clock.js';
import { nodePppAuthCrypto } from '../node/ppp-crypto.js';
import { PppServer } from '../ppp/server.js';
import { describeReason, type Tunnel } from '../tunnel.js';
import { loadMetrics, type MetricsServer, serveMetrics } from './metrics-server.js';
import {
  linkLocal,
  loadTunHost,
  openTunDevice,
  parseUsersFile,
  type TunDevice,
  type TunHost,
  TunUnavailable,
  usersVerifier,
} from './ppp-host.js';
import {
  afterDatagrams,
  closeTunnels,
  DEFAULT_SOCKBUF,
  delay,
  endText,
  type LnsOptions,
  openRun,
  RunExit,
  type RunIo,
  randomU32,
  reasonFields,
  startEndpoint,
  tunnelOptions,
  tunnelTotals,
} from './run.js';

/** What lns needs from the process: RunIo, and for `--ppp` the TUN host (loaded when absent). */
export interface LnsIo extends RunIo {
  readonly tunHost?: TunHost;
}

/** Runs `l2tp-core lns` with parsed options; resolves with the exit code. */
export async function runLns(o: LnsOptions, io: LnsIo): Promise<number> {
  const bind = { address: o.local ?? '0.0.0.0', port: o.port ?? 1701 };
  // --ppp: the users file and the TUN device before anything is bound.
  let users: Map<string, string> | undefined;
  let tun: TunDevice | undefined;
  let tunHost: TunHost | undefined;
  if (o.ppp !== undefined) {
    try {
      users = parseUsersFile(readFileSync(o.ppp.users, 'utf8'));
    } catch (err) {
      io.stderr(`l2tp-core lns: --users ${o.ppp.users}: ${(err as Error).message}\n`);
      return RunExit.USAGE;
    }
    try {
      tunHost = io.tunHost ?? (await loadTunHost());
      tun = openTunDevice(tunHost, o.ppp.tun);
    } catch (err) {
      if (!(err instanceof TunUnavailable)) throw err;
      io.stderr(`l2tp-core lns: ${err.message}\n`);
      return RunExit.FAILED;
    }
  }
  // --metrics: prom-client is an optional peer dependency; without it, fail before binding.
  let metricsModule: Awaited<ReturnType<typeof loadMetrics>> | undefined;
  if (o.metrics !== undefined) {
    try {
      metricsModule = await loadMetrics();
    } catch (err) {
      io.stderr(`l2tp-core lns: ${(err as Error).message}\n`);
      tun?.close();
      return RunExit.FAILED;
    }
  }
  const run = await openRun(o, io, bind, o.sockbuf ?? DEFAULT_SOCKBUF);
  if (run === undefined) {
    tun?.close();
    return RunExit.FAILED;
  }
  const { reporter } = run;
  const tunnels: Tunnel[] = [];
  let tunnelsUp = 0;
  let tunnelsFailed = 0;
  let sessionsUp = 0;
  let sessionsFailed = 0;
  let echoed = 0;
  let slowestTunnel: number | undefined;

  // PPP runs over L2TPv2 only (RFC 2661; v3 would need a PPP pseudowire, not done here).
  const accepts = o.ppp === undefined ? o.version : 2;
  const accept = (info: IncomingTunnelInfo) => {
    const c = classify(info.sccrq, 'udp');
    if (c.kind !== 'control' || (accepts !== undefined && c.version !== accepts)) {
      reporter.event(
        'tunnel-refused',
        { peer: endText(info.peer), version: c.kind === 'invalid' ? null : c.version },
        `SCCRQ from ${endText(info.peer)} refused (L2TPv${c.kind === 'invalid' ? '?' : c.version})`,
      );
      return undefined;
    }
    const options = tunnelOptions(o, 'lns', c.version, randomU32);
    return o.maxSessions === undefined ? options : { ...options, maxSessions: o.maxSessions };
  };
  const { endpoint, shutdown, stopSignals } = startEndpoint(run, io, accept);

  endpoint.on('tunnel', (tunnel) => {
    tunnels.push(tunnel);
    const t0 = run.elapsed();
    const peer = endText(tunnel.peer);
    tunnel.on('up', (info) => {
      tunnelsUp++;
      const setup = run.elapsed() - t0;
      slowestTunnel = Math.max(slowestTunnel ?? 0, setup);
      reporter.event(
        'tunnel-up',
        {
          tunnel: tunnel.id,
          peer,
          peerTunnel: info.peerTunnelId,
          peerHostName: info.peerHostName,
          authenticated: info.peerAuthenticated,
          version: info.version,
        },
        `tunnel ${tunnel.id} up: ${peer} ${JSON.stringify(info.peerHostName)} tunnel ${info.peerTunnelId}, ` +
          `L2TPv${info.version}${info.peerAuthenticated ? ', authenticated' : ''}`,
      );
    });
    tunnel.on('down', (r) => {
      if (tunnel.info === undefined) {
        // Never up: not a "down", a setup that failed (wrong secret, timeout, refusal…).
        tunnelsFailed++;
        const why =
          r.resultCode === undefined
            ? describeReason(r)
            : describeReason(r).replace(
                `result ${r.resultCode}`,
                `result ${r.resultCode} (${resultCodeName('StopCCN', r.resultCode)})`,
              );
        reporter.event(
          'tunnel-failed',
          { tunnel: tunnel.id, peer, ...reasonFields(r) },
          `tunnel ${tunnel.id} from ${peer} failed to come up: ${why}`,
        );
        return;
      }
      reporter.event(
        'tunnel-down',
        { tunnel: tunnel.id, peer, ...reasonFields(r) },
        `tunnel ${tunnel.id} down (${describeReason(r)})`,
      );
    });
    tunnel.on('incoming-session', (e) => {
      if (!e.accepted) sessionsFailed++;
    });
    tunnel.on('session-up', (s) => {
      sessionsUp++;
      if (o.verbose || sessionsUp <= 20) {
        reporter.event(
          'session-up',
          { tunnel: tunnel.id, session: s.id, peerSession: s.peerId },
          `session ${tunnel.id}/${s.id} up: peer session ${s.peerId}`,
        );
      }
    });
    tunnel.on('session-down', (s, r) => {
      if (o.verbose || sessionsUp <= 20) {
        reporter.event(
          'session-down',
          { tunnel: tunnel.id, session: s.id, ...reasonFields(r) },
          `session ${tunnel.id}/${s.id} down (${describeReason(r)})`,
        );
      }
    });
    // The echo: the frame is a view into the received datagram, which nothing else keeps.
    tunnel.on('frame', (session, frame) => {
      if (!session.isUp || o.ppp !== undefined) return;
      session.send(frame);
      echoed++;
    });
  });

  // --ppp: the TUN gets the pool's first address (and with it the pool's route), then PPP on
  // every call.
  let server: PppServer | undefined;
  if (o.ppp !== undefined && tun !== undefined && tunHost !== undefined && users !== undefined) {
    const p = o.ppp;
    server = new PppServer({
      pool: p.pool,
      port: tun,
      portInPlace: true, // the TUN's packets own their headroom (TunDevice)
      clock: nodeClock,
      timers: nodeTimers,
      randomBytes: nodeRandomBytes,
      crypto: nodePppAuthCrypto,
      authenticate: p.auth,
      verify: usersVerifier(users, nodePppAuthCrypto),
      dns: p.dns,
      echoIntervalMs: p.echoMs,
      echoMaxMissed: p.echoFailures,
      mru: p.mtu,
      ipv6: p.ipv6,
      ...(p.ipv6Pool === undefined ? {} : { ipv6Pool: p.ipv6Pool }),
    });
    const global6 = server.localAddress6;
    const bits = p.pool.split('/')[1] as string;
    const local6 =
      server.localInterfaceId === undefined ? undefined : linkLocal(server.localInterfaceId);
    try {
      await tunHost.ip(['link', 'set', 'dev', tun.name, 'mtu', String(p.mtu)]);
      if (local6 !== undefined) {
        await tunHost.enableIpv6?.(tun.name);
        await tunHost.ip(['link', 'set', 'dev', tun.name, 'addrgenmode', 'none']);
      }
      await tunHost.ip(['addr', 'add', `${server.localAddress}/${bits}`, 'dev', tun.name]);
      await tunHost.ip(['link', 'set', 'dev', tun.name, 'up']);
      if (local6 !== undefined) {
        await tunHost.ip(['-6', 'addr', 'add', `${local6}/64`, 'dev', tun.name, 'nodad']);
      }
      if (global6 !== undefined) {
        // The pool's first /64 is ours: its ::1 with the pool's length routes the pool here.
        await tunHost.ip(['-6', 'addr', 'add', global6, 'dev', tun.name, 'nodad']);
      }
    } catch (err) {
      reporter.note(`l2tp-core lns: cannot configure ${tun.name}: ${(err as Error).message}`);
      server.close();
      stopSignals();
      endpoint.destroy();
      tun.close();
      await run.finish();
      return RunExit.FAILED;
    }
    const where = (s: { session: { id: number; tunnel: { id: number } } }) =>
      `${s.session.tunnel.id}/${s.session.id}`;
    server.on('up', (ppp, info) =>
      reporter.event(
        'ppp-up',
        {
          tunnel: ppp.session.tunnel.id,
          session: ppp.session.id,
          user: info.peerName ?? null,
          address: info.ipcp.peerAddress ?? null,
          auth: info.lcp.authenticatePeer ?? null,
          ...(info.ipv6cp?.peerInterfaceId === undefined
            ? {}
            : { address6: linkLocal(info.ipv6cp.peerInterfaceId) }),
          ...(server?.ipv6PrefixOf(ppp) === undefined ? {} : { prefix6: server.ipv6PrefixOf(ppp) }),
        },
        `PPP ${where(ppp)} up: ${JSON.stringify(info.peerName ?? '')} at ${info.ipcp.peerAddress}` +
          `${info.lcp.authenticatePeer === undefined ? '' : ` (${info.lcp.authenticatePeer})`}` +
          `${info.ipv6cp?.peerInterfaceId === undefined ? '' : `, ${linkLocal(info.ipv6cp.peerInterfaceId)}`}` +
          `${server?.ipv6PrefixOf(ppp) === undefined ? '' : `, prefix ${server.ipv6PrefixOf(ppp)}`}`,
      ),
    );
    server.on('auth', (ppp, ok, message, peerName) => {
      if (ok) return;
      reporter.event(
        'ppp-auth-failed',
        {
          tunnel: ppp.session.tunnel.id,
          session: ppp.session.id,
          user: peerName ?? null,
          message: message ?? null,
        },
        `PPP ${where(ppp)}: authentication of ${JSON.stringify(peerName ?? '')} failed` +
          `${message === undefined ? '' : ` (${JSON.stringify(message)})`}`,
      );
    });
    server.on('down', (ppp, reason) =>
      reporter.event(
        'ppp-down',
        {
          tunnel: ppp.session.tunnel.id,
          session: ppp.session.id,
          by: reason.by,
          code: reason.code,
          message: reason.message ?? null,
        },
        `PPP ${where(ppp)} down: ${reason.code} by ${reason.by}` +
          `${reason.message === undefined ? '' : ` (${JSON.stringify(reason.message)})`}`,
      ),
    );
    server.on('error', (err) => reporter.note(`error: ${err.message}`));
    server.serve(endpoint);
    reporter.event(
      'ppp-ready',
      {
        tun: tun.name,
        address: `${server.localAddress}/${bits}`,
        pool: p.pool,
        users: users.size,
        auth: p.auth,
        dns: p.dns,
        ...(local6 === undefined ? {} : { address6: local6 }),
        ...(global6 === undefined ? {} : { global6, ipv6Pool: server.ipv6Pool }),
      },
      `PPP on ${tun.name}: ${server.localAddress}/${bits}, pool ${p.pool}, ${users.size} users, ` +
        `${p.auth.join(',')}${p.dns.length > 0 ? `, DNS ${p.dns.join(' ')}` : ''}` +
        `${local6 === undefined ? '' : `, IPv6 ${local6}`}` +
        `${global6 === undefined ? '' : ` and ${global6}, IPv6 pool ${server.ipv6Pool}`}`,
    );
  }

  let metrics: MetricsServer | undefined;
  if (o.metrics !== undefined && metricsModule !== undefined) {
    const registry = metricsModule.createL2tpRegistry({ endpoint, transport: run.udp });
    try {
      metrics = await serveMetrics(registry, o.metrics);
    } catch (err) {
      reporter.note(`cannot serve metrics on ${endText(o.metrics)}: ${(err as Error).message}`);
      stopSignals();
      server?.close();
      endpoint.destroy();
      tun?.close();
      await run.finish();
      return RunExit.FAILED;
    }
    reporter.event('metrics', { url: metrics.url }, `metrics at ${metrics.url}`);
  }

  reporter.event(
    'listening',
    { role: 'lns', local: endText(run.udp.local), version: accepts ?? null },
    `lns listening on ${endText(run.udp.local)} (L2TPv${accepts ?? '2 and v3'})`,
  );
  await Promise.race([
    shutdown.stopped,
    ...(o.durationMs === undefined ? [] : [delay(o.durationMs)]),
  ]);
  shutdown.request(false);
  if (server !== undefined && !shutdown.forced) {
    // PPP first: Terminate-Requests, each call cleared when its link finishes (at most 3 s).
    const ppp = server;
    const gone = new Promise<void>((resolve) => {
      const check = () => {
        if (ppp.stats().sessions === 0) resolve();
      };
      ppp.on('down', check);
      check();
    });
    ppp.close('server shutting down');
    await Promise.race([gone, delay(3000)]);
  }
  if (!shutdown.forced) {
    await closeTunnels([...endpoint.tunnels.values()], afterDatagrams(run.transport));
  }
  stopSignals();
  if (server !== undefined) {
    const st = server.stats();
    reporter.event(
      'ppp-summary',
      { ...st },
      `PPP: ${st.toPort} packets to ${tun?.name}, ${st.fromPort} from it, ${st.hairpin} between ` +
        `calls, ${st.unroutable} unroutable, ${st.poolExhausted} calls refused for want of an address`,
    );
  }
  tun?.close();

  const totals = tunnelTotals(tunnels);
  const exitCode = shutdown.forced ? RunExit.FAILED : RunExit.OK;
  reporter.summary({
    role: 'lns',
    tunnels: { up: tunnelsUp, failed: tunnelsFailed, total: tunnels.length },
    sessions: {
      up: sessionsUp,
      failed: sessionsFailed,
      total: sessionsUp + sessionsFailed,
    },
    frames: {
      sent: totals.framesSent,
      received: totals.framesReceived,
      echoed,
      dropped: totals.framesDropped,
    },
    control: totals.control,
    tunnelSetupMs: slowestTunnel,
    setupMs: undefined,
    pcapRecords: run.pcapRecords(),
    durationMs: run.elapsed(),
    exitCode,
  });
  await metrics?.close();
  endpoint.destroy();
  await run.finish();
  return exitCode;
}
