// A floor for the `setup` bench: about the least JavaScript that sets up L2TPv2 tunnels and
// sessions for a LAC (this package's, in the bench), with none of the package's code. It reads
// the control header and walks the AVP headers for the few values it needs. It answers SCCRQ
// with SCCRP and ICRQ with ICRP, and counts an ICCN as a session up. It acknowledges what
// arrives: on its next message, or with a ZLB 100 ms later when it has sent none by then (the
// package's default ackDelayMs). It re-sends what is unacknowledged when the peer repeats a
// message.
//
// It has no state machines, no events, no options, no validation beyond bounds, no HELLO, no
// teardown, no limits and no logging. Not a usable LNS: it shows what the sockets plus the
// protocol's bare work cost, so the bench can tell that apart from the package's own cost.

const SCCRQ = 1;
const SCCRP = 2;
const ICRQ = 10;
const ICRP = 11;
const ICCN = 12;
const HOST_NAME = new TextEncoder().encode('lns.minimal');

/**
 * Serves L2TPv2 set-up on a bound node:dgram `socket`; calls `onSessionUp()` per ICCN.
 * Returns the counters of datagrams in and out (updated as they go) and `close()`, which stops
 * the acknowledgement timers and closes the socket.
 */
export function serveMinimalLns(socket, onSessionUp) {
  const tunnels = new Map(); // our Tunnel ID → tunnel
  const byPeer = new Map(); // `address:port:their Tunnel ID` → tunnel (SCCRQ retransmissions)
  let nextTunnelId = 1;
  let nextSessionId = 1;
  const counts = { rx: 0, tx: 0, rxBytes: 0, txBytes: 0, tunnels: 0 };
  let closed = false;

  const send = (t, bytes) => {
    counts.tx++;
    counts.txBytes += bytes.length;
    socket.send(bytes, t.port, t.address);
  };
  // The L2TPv2 control header (T, L, S set) to `t`, with the current Ns and Nr, then `avps`.
  const message = (t, sessionId, avps) => {
    const out = new Uint8Array(12 + avps.length);
    const words = [0xc802, out.length, t.peerId, sessionId, t.ns, t.nr];
    for (let i = 0; i < 6; i++) {
      out[2 * i] = words[i] >> 8;
      out[2 * i + 1] = words[i] & 0xff;
    }
    out.set(avps, 12);
    return out;
  };
  // A control message to `t` with `avps` (already encoded), kept until acknowledged.
  const sendControl = (t, sessionId, avps) => {
    const out = message(t, sessionId, avps);
    t.ns = (t.ns + 1) & 0xffff;
    t.unacked.push(out);
    t.ackPending = false;
    send(t, out);
  };
  const NO_AVPS = new Uint8Array(0);
  const zlb = (t) => send(t, message(t, 0, NO_AVPS));
  const ackLater = (t) => {
    t.ackPending = true;
    if (t.ackTimer !== undefined) return;
    t.ackTimer = setTimeout(() => {
      t.ackTimer = undefined;
      if (t.ackPending && !closed) {
        t.ackPending = false;
        zlb(t);
      }
    }, 100);
  };
  const avp = (type, value) => {
    const out = new Uint8Array(6 + value.length);
    out[0] = 0x80 | ((6 + value.length) >> 8);
    out[1] = (6 + value.length) & 0xff;
    out[4] = type >> 8;
    out[5] = type & 0xff;
    out.set(value, 6);
    return out;
  };
  const u16 = (v) => Uint8Array.of(v >> 8, v & 0xff);
  const join = (parts) => {
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };

  socket.on('message', (msg, rinfo) => {
    counts.rx++;
    counts.rxBytes += msg.length;
    if (msg.length < 12 || (msg[0] & 0xc0) !== 0xc0) return;
    const tid = (msg[4] << 8) | msg[5];
    const ns = (msg[8] << 8) | msg[9];
    const nr = (msg[10] << 8) | msg[11];
    // The AVPs this responder reads: Message Type (0), Assigned Tunnel ID (9), Assigned
    // Session ID (14).
    let type = 0;
    let assignedTunnel = 0;
    let assignedSession = 0;
    const end = Math.min(msg.length, (msg[2] << 8) | msg[3]);
    for (let at = 12; at + 6 <= end; ) {
      const length = ((msg[at] & 0x03) << 8) | msg[at + 1];
      if (length < 6 || at + length > end) return;
      const attr = (msg[at + 4] << 8) | msg[at + 5];
      const vendor = (msg[at + 2] << 8) | msg[at + 3];
      if (vendor === 0 && length >= 8) {
        const v = (msg[at + 6] << 8) | msg[at + 7];
        if (attr === 0) type = v;
        else if (attr === 9) assignedTunnel = v;
        else if (attr === 14) assignedSession = v;
      }
      at += length;
    }
    let t;
    if (tid === 0) {
      if (type !== SCCRQ) return;
      const key = `${rinfo.address}:${rinfo.port}:${assignedTunnel}`;
      t = byPeer.get(key);
      if (t === undefined) {
        t = {
          id: nextTunnelId++,
          peerId: assignedTunnel,
          address: rinfo.address,
          port: rinfo.port,
          ns: 0,
          nr: 0,
          unacked: [],
          sessions: new Map(),
          ackPending: false,
          ackTimer: undefined,
        };
        tunnels.set(t.id, t);
        byPeer.set(key, t);
        counts.tunnels++;
      }
    } else {
      t = tunnels.get(tid);
      if (t === undefined) return;
    }
    // Acknowledged: everything before Nr.
    while (t.unacked.length > 0) {
      const first = t.unacked[0];
      const sent = (first[8] << 8) | first[9];
      if (((nr - sent - 1) & 0xffff) >= 0x8000) break;
      t.unacked.shift();
    }
    if (type === 0) return; // a ZLB
    if (ns !== t.nr) {
      // A repeat (our answer or ack was lost) or a gap: re-send what the peer lacks, then ack.
      for (const out of t.unacked) send(t, out);
      zlb(t);
      return;
    }
    t.nr = (t.nr + 1) & 0xffff;
    if (type === SCCRQ) {
      sendControl(
        t,
        0,
        join([
          avp(0, u16(SCCRP)),
          avp(2, Uint8Array.of(1, 0)),
          avp(7, HOST_NAME),
          avp(3, Uint8Array.of(0, 0, 0, 3)),
          avp(9, u16(t.id)),
          avp(10, u16(8)), // Receive Window Size: the package's default, so the LAC paces alike
        ]),
      );
    } else if (type === ICRQ) {
      const id = nextSessionId;
      nextSessionId = nextSessionId === 0xffff ? 1 : nextSessionId + 1;
      t.sessions.set(id, { peerId: assignedSession, up: false });
      sendControl(t, assignedSession, join([avp(0, u16(ICRP)), avp(14, u16(id))]));
    } else {
      if (type === ICCN) {
        const s = t.sessions.get((msg[6] << 8) | msg[7]);
        if (s !== undefined && !s.up) {
          s.up = true;
          onSessionUp();
        }
      }
      ackLater(t);
    }
  });
  const close = () => {
    closed = true;
    for (const t of tunnels.values()) clearTimeout(t.ackTimer);
    socket.close();
  };
  return { counts, close };
}
