/**
 * `l2tp-core lac`: opens `--tunnels` tunnels to an LNS and `--sessions` incoming calls
 * (ICRQ/ICRP/ICCN, RFC 2661 §5.4; RFC 3931 §3.2 for v3) in each, sends `--frames` test frames
 * per session (a PPP LCP Echo-Request for v2, an Ethernet frame for v3) and counts the echoes,
 * then stays up until `--duration` ends, every tunnel is gone or a signal arrives; closes
 * gracefully and prints a summary. Exit 1 when a tunnel or session did not come up, went down
 * on a timeout or error, or echoes were missing.
 * Not here: option parsing, socket and shutdown plumbing (run.ts), output format (progress.ts).
 */

import { describeReason, type Session, type Tunnel } from '../tunnel.js';
import { Pacer } from './pace.js';
import {
  afterDatagrams,
  closeTunnels,
  delay,
  endText,
  type LacOptions,
  openRun,
  RunExit,
  type RunIo,
  randomU32,
  reasonFields,
  resolvePeer,
  startEndpoint,
  tunnelOptions,
  tunnelTotals,
} from './run.js';

/** More sessions than this in total: per-session events give way to a progress line. */
const PER_SESSION_EVENTS = 20;

/** Test frame `n` of a session: LCP Echo-Request (v2, RFC 1661 §5.8) or an Ethernet frame (v3). */
export function testFrame(version: 2 | 3, sessionId: number, n: number): Uint8Array {
  if (version === 2) {
    // Address/control FF 03, protocol C021 (LCP), code 9, identifier, length 8, magic number 0.
    return Uint8Array.of(0xff, 0x03, 0xc0, 0x21, 0x09, n & 0xff, 0x00, 0x08, 0, 0, 0, 0);
  }
  // Ethernet II, locally administered MACs, EtherType 88B5 (local experimental), 46-byte payload.
  const f = new Uint8Array(60);
  f.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5]);
  new DataView(f.buffer).setUint32(14, sessionId >>> 0);
  new DataView(f.buffer).setUint32(18, n >>> 0);
  return f;
}

/**
 * Whether `frame`, received on session `sessionId`, is a test frame of ours coming back: the
 * peer may send frames of its own (an LCP Configure-Request, a bridge's broadcast), which are no
 * echoes. v2 frames may come back without the FF 03 address and control octets.
 */
export function isTestFrameEcho(version: 2 | 3, sessionId: number, frame: Uint8Array): boolean {
  if (version === 2) {
    const f = frame[0] === 0xff && frame[1] === 0x03 ? frame.subarray(2) : frame;
    return (
      f.length === 10 &&
      f[0] === 0xc0 &&
      f[1] === 0x21 &&
      f[2] === 0x09 &&
      f[4] === 0x00 &&
      f[5] === 0x08 &&
      f[6] === 0 &&
      f[7] === 0 &&
      f[8] === 0 &&
      f[9] === 0
    );
  }
  if (frame.length !== 60) return false;
  const mine = testFrame(3, sessionId, 0);
  for (let i = 0; i < 18; i++) if (frame[i] !== mine[i]) return false; // MACs, EtherType, id
  return true;
}

/** Runs `l2tp-core lac` with parsed options; resolves with the exit code. */
export async function runLac(o: LacOptions, io: RunIo): Promise<number> {
  let peerAddress: string;
  try {
    peerAddress = await resolvePeer(o.peer, o.local, io.lookup);
  } catch (err) {
    io.stderr(`l2tp-core lac: cannot resolve --peer ${o.peer}: ${(err as Error).message}\n`);
    return RunExit.FAILED;
  }
  const loopback = peerAddress === '::1' || peerAddress.startsWith('127.');
  const family6 = peerAddress.includes(':');
  const bind = {
    address: o.local ?? (loopback ? peerAddress : family6 ? '::' : '0.0.0.0'),
    port: o.port ?? 0,
  };
  const run = await openRun(o, io, bind);
  if (run === undefined) return RunExit.FAILED;
  const { reporter } = run;
  const version = o.version ?? 2;
  const peer = { address: peerAddress, port: o.peerPort };
  const named = peerAddress === o.peer ? '' : ` (${o.peer})`;
  const { endpoint, shutdown, stopSignals } = startEndpoint(run, io);

  const totalSessions = o.tunnels * o.sessions;
  const sessionEvents = o.verbose || totalSessions <= PER_SESSION_EVENTS;
  const tunnels: Tunnel[] = [];
  const sessions: Session[] = [];
  const established = new WeakSet<Session>();
  let tunnelsUp = 0;
  let tunnelsFailed = 0;
  let sessionsUp = 0;
  let sessionsFailed = 0;
  let unexpectedDowns = 0;
  let slowestTunnel: number | undefined;
  let echoed = 0;
  let framesSent = 0;
  // Per session: test frames sent and echoes counted, so an echo is never counted twice.
  const exchange = new Map<Session, { sent: number; echoed: number }>();
  const progress = (force = false) => {
    if (!sessionEvents) {
      reporter.progress(
        {
          tunnelsUp,
          tunnels: o.tunnels,
          sessionsUp,
          sessions: totalSessions,
          failed: tunnelsFailed + sessionsFailed,
        },
        force,
      );
    }
  };

  reporter.event(
    'start',
    {
      role: 'lac',
      local: endText(run.udp.local),
      peer: endText(peer),
      ...(named === '' ? {} : { peerName: o.peer }),
      version,
    },
    `lac on ${endText(run.udp.local)}, LNS ${endText(peer)}${named}, L2TPv${version}: ` +
      `${o.tunnels} tunnel(s) × ${o.sessions} session(s)`,
  );
  const started = run.elapsed();

  const openTunnel = async (): Promise<void> => {
    const t0 = run.elapsed();
    let tunnel: Tunnel;
    try {
      tunnel = endpoint.tunnel(peer, tunnelOptions(o, 'lac', version, randomU32));
    } catch (err) {
      tunnelsFailed++;
      reporter.event(
        'tunnel-failed',
        { message: (err as Error).message },
        `tunnel failed: ${(err as Error).message}`,
      );
      return;
    }
    tunnels.push(tunnel);
    tunnel.on('down', (r) => {
      if (tunnel.info === undefined) return; // reported as tunnel-failed below
      if (!shutdown.requested && (r.by === 'timeout' || r.by === 'error')) unexpectedDowns++;
      reporter.event(
        'tunnel-down',
        { tunnel: tunnel.id, ...reasonFields(r) },
        `tunnel ${tunnel.id} down (${describeReason(r)})`,
      );
    });
    tunnel.on('frame', (session, frame) => {
      const x = exchange.get(session);
      if (x !== undefined && x.echoed < x.sent && isTestFrameEcho(version, session.id, frame)) {
        x.echoed++;
        echoed++;
      }
    });
    tunnel.on('session-up', (s) => established.add(s));
    tunnel.on('session-down', (s, r) => {
      if (!established.has(s)) return; // a failed open: reported where it was awaited
      const fault = !shutdown.requested && (r.by === 'timeout' || r.by === 'error');
      if (fault) unexpectedDowns++;
      if (sessionEvents || fault) {
        reporter.event(
          'session-down',
          { tunnel: tunnel.id, session: s.id, ...reasonFields(r) },
          `session ${tunnel.id}/${s.id} down (${describeReason(r)})`,
        );
      }
    });
    try {
      const info = await tunnel.connect();
      const setup = run.elapsed() - t0;
      slowestTunnel = Math.max(slowestTunnel ?? 0, setup);
      tunnelsUp++;
      reporter.event(
        'tunnel-up',
        {
          tunnel: tunnel.id,
          peerTunnel: info.peerTunnelId,
          peerHostName: info.peerHostName,
          authenticated: info.peerAuthenticated,
          setupMs: Number(setup.toFixed(3)),
        },
        `tunnel ${tunnel.id} up: peer ${JSON.stringify(info.peerHostName)} tunnel ${info.peerTunnelId}` +
          `${info.peerAuthenticated ? ', authenticated' : ''} (${setup.toFixed(1)} ms)`,
      );
      progress();
    } catch (err) {
      tunnelsFailed++;
      const r = tunnel.downReason;
      reporter.event(
        'tunnel-failed',
        { tunnel: tunnel.id, ...(r === undefined ? {} : reasonFields(r)) },
        `tunnel ${tunnel.id} to ${endText(tunnel.peer)} failed: ${r === undefined ? (err as Error).message : describeReason(r)}`,
      );
      return;
    }
    await Promise.all(
      Array.from({ length: o.sessions }, async () => {
        if (shutdown.requested || !tunnel.isUp) {
          sessionsFailed++;
          return;
        }
        const s0 = run.elapsed();
        try {
          const s = await tunnel.openSession();
          sessionsUp++;
          sessions.push(s);
          if (sessionEvents) {
            reporter.event(
              'session-up',
              {
                tunnel: tunnel.id,
                session: s.id,
                peerSession: s.peerId,
                setupMs: Number((run.elapsed() - s0).toFixed(3)),
              },
              `session ${tunnel.id}/${s.id} up: peer session ${s.peerId} (${(run.elapsed() - s0).toFixed(1)} ms)`,
            );
          }
        } catch (err) {
          sessionsFailed++;
          reporter.event(
            'session-failed',
            { tunnel: tunnel.id, message: (err as Error).message },
            `session in tunnel ${tunnel.id} failed: ${(err as Error).message}`,
          );
        }
        progress();
      }),
    );
  };

  await Promise.race([
    Promise.all(Array.from({ length: o.tunnels }, () => openTunnel())),
    shutdown.stopped,
  ]);
  progress(true);
  reporter.endProgress();
  const setupMs =
    sessionsUp === totalSessions && tunnelsUp === o.tunnels ? run.elapsed() - started : undefined;

  // Test frames: round-robin over the sessions, at --rate per second or in one burst that
  // yields now and then so echoes get read.
  let framesLost = 0;
  if (o.frames > 0 && sessions.length > 0 && !shutdown.requested) {
    for (const s of sessions) exchange.set(s, { sent: 0, echoed: 0 });
    let sending = true;
    const allEchoed = new Promise<void>((resolve) => {
      const check = () => {
        if (!sending && echoed >= framesSent) resolve();
        else setTimeout(check, 5).unref();
      };
      check();
    });
    const pacer =
      o.rate === undefined
        ? undefined
        : new Pacer(o.rate, { now: () => run.elapsed(), sleep: (ms) => delay(ms) });
    for (let n = 0; n < o.frames && !shutdown.requested; n++) {
      for (const s of sessions) {
        if (!s.isUp || shutdown.requested) continue;
        if (pacer !== undefined) await pacer.due(framesSent);
        else if (framesSent % 256 === 255) await new Promise((r) => setImmediate(r));
        s.send(testFrame(version, s.id, n));
        (exchange.get(s) as { sent: number }).sent++;
        framesSent++;
      }
    }
    sending = false;
    await Promise.race([allEchoed, delay(o.frameTimeoutMs), shutdown.stopped]);
    framesLost = Math.max(0, framesSent - echoed);
    reporter.event(
      'frames',
      {
        sent: framesSent,
        echoed,
        lost: framesLost,
        ...(o.rate === undefined ? {} : { rate: o.rate }),
      },
      `frames: ${echoed} of ${framesSent} echoed`,
    );
    if (framesLost > 0 && o.rate === undefined && framesSent > 256) {
      reporter.note(
        `${framesLost} frames were not echoed; they went out in one burst, which can overflow ` +
          'socket buffers: --rate N sends N frames a second',
      );
    }
  }

  // Stay up: until --duration, a signal, or every tunnel gone.
  if (!shutdown.requested && tunnels.some((t) => t.isUp)) {
    const allDown = new Promise<void>((resolve) => {
      const check = () => {
        if (!tunnels.some((t) => t.isUp)) resolve();
      };
      for (const t of tunnels) t.on('down', check);
    });
    await Promise.race([
      shutdown.stopped,
      allDown,
      ...(o.durationMs === undefined ? [] : [delay(o.durationMs)]),
    ]);
  }
  shutdown.request(false);
  if (!shutdown.forced) await closeTunnels(tunnels, afterDatagrams(run.transport));
  stopSignals();

  const totals = tunnelTotals(tunnels);
  const failed =
    tunnelsFailed + sessionsFailed + unexpectedDowns + framesLost > 0 || shutdown.forced;
  const exitCode = failed ? RunExit.FAILED : RunExit.OK;
  reporter.summary({
    role: 'lac',
    tunnels: { up: tunnelsUp, failed: tunnelsFailed, total: o.tunnels },
    sessions: { up: sessionsUp, failed: sessionsFailed, total: totalSessions },
    frames: {
      sent: totals.framesSent,
      received: totals.framesReceived,
      echoed,
      dropped: totals.framesDropped,
    },
    control: totals.control,
    tunnelSetupMs: slowestTunnel,
    setupMs,
    pcapRecords: run.pcapRecords(),
    durationMs: run.elapsed(),
    exitCode,
  });
  endpoint.destroy();
  await run.finish();
  return exitCode;
}
