/**
 * `l2tp-core lns`: accepts tunnels (L2TPv2, or L2TPv3 over UDP, or only the `--version` given)
 * and incoming calls, and echoes every data frame back on the session it came from. Runs until
 * `--duration` ends or a signal arrives, then closes every tunnel gracefully (StopCCN, RFC 2661
 * §5.7) and prints a summary. Exit 1 only for runtime failures of its own (socket, pcap file,
 * a forced close). `--metrics` serves the endpoint's Prometheus metrics over HTTP while it runs.
 * Not here: option parsing, socket and shutdown plumbing (run.ts), output format (progress.ts).
 */

import { classify } from '../codec/classify.js';
import { resultCodeName } from '../constants.js';
import type { IncomingTunnelInfo } from '../endpoint.js';
import { describeReason, type Tunnel } from '../tunnel.js';
import { loadMetrics, type MetricsServer, serveMetrics } from './metrics-server.js';
import {
  afterDatagrams,
  closeTunnels,
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

/** Runs `l2tp-core lns` with parsed options; resolves with the exit code. */
export async function runLns(o: LnsOptions, io: RunIo): Promise<number> {
  const bind = { address: o.local ?? '0.0.0.0', port: o.port ?? 1701 };
  // --metrics: prom-client is an optional peer dependency; without it, fail before binding.
  let metricsModule: Awaited<ReturnType<typeof loadMetrics>> | undefined;
  if (o.metrics !== undefined) {
    try {
      metricsModule = await loadMetrics();
    } catch (err) {
      io.stderr(`l2tp-core lns: ${(err as Error).message}\n`);
      return RunExit.FAILED;
    }
  }
  const run = await openRun(o, io, bind);
  if (run === undefined) return RunExit.FAILED;
  const { reporter } = run;
  const tunnels: Tunnel[] = [];
  let tunnelsUp = 0;
  let tunnelsFailed = 0;
  let sessionsUp = 0;
  let sessionsFailed = 0;
  let echoed = 0;
  let slowestTunnel: number | undefined;

  const accept = (info: IncomingTunnelInfo) => {
    const c = classify(info.sccrq, 'udp');
    if (c.kind !== 'control' || (o.version !== undefined && c.version !== o.version)) {
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
      if (!session.isUp) return;
      session.send(frame);
      echoed++;
    });
  });

  let metrics: MetricsServer | undefined;
  if (o.metrics !== undefined && metricsModule !== undefined) {
    const registry = metricsModule.createL2tpRegistry({ endpoint, transport: run.udp });
    try {
      metrics = await serveMetrics(registry, o.metrics);
    } catch (err) {
      reporter.note(`cannot serve metrics on ${endText(o.metrics)}: ${(err as Error).message}`);
      stopSignals();
      endpoint.destroy();
      await run.finish();
      return RunExit.FAILED;
    }
    reporter.event('metrics', { url: metrics.url }, `metrics at ${metrics.url}`);
  }

  reporter.event(
    'listening',
    { role: 'lns', local: endText(run.udp.local), version: o.version ?? null },
    `lns listening on ${endText(run.udp.local)} (L2TPv${o.version ?? '2 and v3'})`,
  );
  await Promise.race([
    shutdown.stopped,
    ...(o.durationMs === undefined ? [] : [delay(o.durationMs)]),
  ]);
  shutdown.request(false);
  if (!shutdown.forced) {
    await closeTunnels([...endpoint.tunnels.values()], afterDatagrams(run.transport));
  }
  stopSignals();

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
