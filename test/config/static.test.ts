// L2tpConfig with static tunnels over an in-memory datagram hub: every command, every
// validation error with its kernel errno, the table bounds, list ordering (a fast-check property
// against a model), change notifications, and counters read back through get after traffic.
// Deterministic: a manual clock and timer host, synchronous delivery.
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  type ConfigError,
  type ConfigErrorReason,
  type ConfigEvent,
  L2tpConfig,
  type L2tpConfigOptions,
  type TransportRequest,
} from '../../src/config.js';
import { UsageError } from '../../src/errors.js';
import type { StaticSession } from '../../src/static.js';
import type {
  DatagramData,
  DatagramHandler,
  DatagramTransport,
  PeerAddress,
  TimerHandle,
  TimerHost,
} from '../../src/transport.js';

// --- fakes -------------------------------------------------------------------------------------

/** Datagram sockets in memory: `send` delivers synchronously to the socket bound at `peer`. */
class Hub {
  readonly sockets = new Map<string, MemSocket>();
  #nextPort = 40000;

  open(address: string, port: number): MemSocket {
    const p = port === 0 ? this.#nextPort++ : port;
    const key = `${address}|${p}`;
    if (this.sockets.has(key)) throw new Error(`EADDRINUSE ${key}`);
    const s = new MemSocket(this, address, p);
    this.sockets.set(key, s);
    return s;
  }
}

class MemSocket implements DatagramTransport {
  readonly handlers = new Set<DatagramHandler>();
  closed = false;
  sent = 0;
  readonly hub: Hub;
  readonly address: string;
  readonly port: number;
  constructor(hub: Hub, address: string, port: number) {
    this.hub = hub;
    this.address = address;
    this.port = port;
  }
  send(data: DatagramData, peer: PeerAddress): void {
    if (this.closed) throw new UsageError('closed');
    this.sent++;
    const bytes =
      data instanceof Uint8Array
        ? Uint8Array.from(data)
        : Uint8Array.from([...data[0], ...data[1]]);
    const to = this.hub.sockets.get(`${peer.address}|${peer.port}`);
    if (to === undefined || to.closed) return;
    for (const h of [...to.handlers]) h(bytes, { address: this.address, port: this.port });
  }
  onDatagram(handler: DatagramHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
  close(): void {
    this.closed = true;
    this.hub.sockets.delete(`${this.address}|${this.port}`);
  }
}

function manualTimers() {
  let now = 0;
  const pending = new Map<number, { at: number; fire: () => void }>();
  let next = 1;
  const host: TimerHost = {
    set(delayMs, fire) {
      const id = next++;
      pending.set(id, { at: now + Math.max(0, delayMs), fire });
      return id;
    },
    clear(handle: TimerHandle) {
      pending.delete(handle as number);
    },
  };
  return {
    clock: { now: () => now },
    host,
    pending,
    advance(to: number) {
      for (;;) {
        const due = [...pending.entries()]
          .filter(([, t]) => t.at <= to)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (due === undefined) break;
        pending.delete(due[0]);
        now = due[1].at;
        due[1].fire();
      }
      now = to;
    },
  };
}

function setup(options: Partial<L2tpConfigOptions> = {}, hub = new Hub()) {
  const timers = manualTimers();
  const requests: TransportRequest[] = [];
  const frames: [string, number][] = [];
  const events: ConfigEvent[] = [];
  const config = new L2tpConfig({
    transportFactory: (r) => {
      requests.push(r);
      return hub.open(r.local ?? '127.0.0.1', r.udp_sport);
    },
    clock: timers.clock,
    timers: timers.host,
    onFrame: (frame, session) => frames.push([new TextDecoder().decode(frame), session.sessionId]),
    ...options,
  });
  config.watch((e) => events.push(e));
  return { config, hub, timers, requests, frames, events };
}

async function reason(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (error) {
    const e = error as ConfigError;
    expect(e).toBeInstanceOf(UsageError);
    expect(e.code).toBe('L2TP_ERR_USAGE');
    return `${e.reason}/${e.errno}`;
  }
  return 'no error';
}

// Static sessions default to the Ethernet pseudowire, whose framer wants ≥ 14 octets: every test
// frame is its text padded with '.' to 16 octets.
const text = (s: string) => new TextEncoder().encode(s.padEnd(16, '.'));
const padded = (s: string) => s.padEnd(16, '.');

// Host 1 / Host 2 of the kernel's l2tp.txt, on loopback addresses of the hub.
const H1 = {
  tunnel_id: 42,
  peer_tunnel_id: 45,
  local: '10.0.0.1',
  remote: '10.0.0.2',
  udp_sport: 5000,
  udp_dport: 5001,
} as const;
const H2 = {
  tunnel_id: 45,
  peer_tunnel_id: 42,
  local: '10.0.0.2',
  remote: '10.0.0.1',
  udp_sport: 5001,
  udp_dport: 5000,
} as const;

// --- tunnels -----------------------------------------------------------------------------------

describe('L2tpConfig: tunnel commands', () => {
  it('tunnelCreate asks the factory for local:udp_sport and reports the ip l2tp attributes', async () => {
    const { config, requests, events } = setup();
    const info = await config.tunnelCreate({ ...H1, debug: 3 });
    expect(requests).toEqual([
      {
        tunnel_id: 42,
        peer_tunnel_id: 45,
        encap: 'udp',
        local: '10.0.0.1',
        udp_sport: 5000,
        remote: '10.0.0.2',
        udp_dport: 5001,
        debug: 3,
      },
    ]);
    expect(info).toMatchObject({
      kind: 'static',
      tunnel_id: 42,
      peer_tunnel_id: 45,
      proto_version: 3,
      encap: 'udp',
      local: '10.0.0.1',
      remote: '10.0.0.2',
      udp_sport: 5000,
      udp_dport: 5001,
      debug: 3,
      state: 'static',
      sessions: 0,
    });
    expect(Object.values(info.stats).every((v) => v === 0)).toBe(true);
    expect(config.tunnelGet(42)).toEqual(info);
    expect(events).toEqual([{ cmd: 'tunnel-create', kind: 'static', tunnel_id: 42 }]);
  });

  it('encap ip: no ports, udp_sport 0 and udp_dport 0 in the factory request', async () => {
    const { config, requests } = setup();
    const info = await config.tunnelCreate({
      tunnel_id: 0xffffffff,
      peer_tunnel_id: 1,
      encap: 'ip',
      remote: '10.0.0.9',
    });
    expect(requests[0]).toMatchObject({ encap: 'ip', udp_sport: 0, udp_dport: 0 });
    expect(info).toMatchObject({ tunnel_id: 4294967295, encap: 'ip', udp_dport: undefined });
  });

  it('refuses like the kernel, each with a stable reason and errno, creating nothing', async () => {
    const { config, requests } = setup();
    const base = { ...H1 };
    const cases: [object, string][] = [
      [{ ...base, tunnel_id: 0 }, 'INVALID_ID/EINVAL'],
      [{ ...base, peer_tunnel_id: 0 }, 'INVALID_ID/EINVAL'],
      [{ ...base, tunnel_id: 2 ** 32 }, 'INVALID_ID/EINVAL'],
      [{ ...base, tunnel_id: 1.5 }, 'INVALID_ID/EINVAL'],
      [{ ...base, tunnel_id: undefined }, 'MISSING_ATTR/EINVAL'],
      [{ ...base, peer_tunnel_id: undefined }, 'MISSING_ATTR/EINVAL'],
      [{ ...base, remote: undefined }, 'MISSING_ATTR/EINVAL'],
      [{ ...base, udp_dport: undefined }, 'MISSING_ATTR/EINVAL'],
      [{ ...base, udp_dport: 0 }, 'BAD_VALUE/EINVAL'],
      [{ ...base, udp_sport: 65536 }, 'BAD_VALUE/EINVAL'],
      [{ ...base, encap: 'gre' }, 'BAD_VALUE/EINVAL'],
      [{ ...base, encap: 'ip' }, 'BAD_VALUE/EINVAL'], // ports given with encap ip
      [{ ...base, proto_version: 2 }, 'NOT_SUPPORTED/EPROTONOSUPPORT'],
      [{ ...base, proto_version: 4 }, 'BAD_VALUE/EINVAL'],
      [{ ...base, debug: -1 }, 'BAD_VALUE/EINVAL'],
      [{ ...base, local: 7 }, 'BAD_VALUE/EINVAL'],
    ];
    for (const [attrs, expected] of cases) {
      expect(await reason(config.tunnelCreate(attrs as never)), JSON.stringify(attrs)).toBe(
        expected,
      );
    }
    expect(requests).toHaveLength(0);
    expect(config.tunnelList()).toEqual([]);
  });

  it('duplicate tunnel_id: EEXIST, also against a create still waiting for its transport', async () => {
    const { config, hub } = setup();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow = new L2tpConfig({
      transportFactory: async (r) => {
        await gate;
        return hub.open('10.0.0.7', r.udp_sport);
      },
      clock: { now: () => 0 },
    });
    const first = slow.tunnelCreate(H1);
    expect(await reason(slow.tunnelCreate(H1))).toBe('TUNNEL_EXISTS/EEXIST');
    release();
    await first;
    expect(await reason(slow.tunnelCreate(H1))).toBe('TUNNEL_EXISTS/EEXIST');
    await config.tunnelCreate(H1);
    expect(await reason(config.tunnelCreate({ ...H1, udp_sport: 6000 }))).toBe(
      'TUNNEL_EXISTS/EEXIST',
    );
    slow.close();
  });

  it('a failing factory keeps nothing and frees the id', async () => {
    const hub = new Hub();
    hub.open('10.0.0.1', 5000); // occupied: the factory throws EADDRINUSE
    const { config } = setup({}, hub);
    await expect(config.tunnelCreate(H1)).rejects.toThrow('EADDRINUSE');
    expect(config.tunnelList()).toEqual([]);
    await config.tunnelCreate({ ...H1, udp_sport: 5002 });
    expect(config.tunnelList().map((t) => t.tunnel_id)).toEqual([42]);
  });

  it('maxTunnels: the create after the bound fails with TABLE_FULL; a delete makes room', async () => {
    const { config } = setup({ maxTunnels: 2 });
    await config.tunnelCreate({ ...H1, tunnel_id: 1, udp_sport: 1 });
    await config.tunnelCreate({ ...H1, tunnel_id: 2, udp_sport: 2 });
    expect(await reason(config.tunnelCreate({ ...H1, tunnel_id: 3, udp_sport: 3 }))).toBe(
      'TABLE_FULL/ENOSPC',
    );
    config.tunnelDelete(1);
    await config.tunnelCreate({ ...H1, tunnel_id: 3, udp_sport: 3 });
    expect(config.tunnelList().map((t) => t.tunnel_id)).toEqual([2, 3]);
    expect(() => new L2tpConfig({ ...setupOptions(), maxTunnels: 0 })).toThrow(UsageError);
    expect(() => new L2tpConfig({ ...setupOptions(), maxSessions: 1.5 })).toThrow(UsageError);
  });

  it('tunnelModify changes debug only; anything else is IMMUTABLE; unknown ids are ENODEV', async () => {
    const { config, events } = setup();
    await config.tunnelCreate(H1);
    expect(config.tunnelModify(42, { debug: 0xf }).debug).toBe(15);
    expect(config.tunnelGet(42).debug).toBe(15);
    expect(await reason(() => config.tunnelModify(42, { udp_dport: 9 } as never))).toBe(
      'IMMUTABLE/EINVAL',
    );
    expect(await reason(() => config.tunnelModify(42, { debug: 2 ** 32 }))).toBe(
      'BAD_VALUE/EINVAL',
    );
    expect(await reason(() => config.tunnelModify(43, { debug: 1 }))).toBe('NO_TUNNEL/ENODEV');
    expect(await reason(() => config.tunnelGet(0))).toBe('NO_TUNNEL/ENODEV');
    expect(await reason(() => config.tunnelDelete(43))).toBe('NO_TUNNEL/ENODEV');
    expect(events.map((e) => e.cmd)).toEqual(['tunnel-create', 'tunnel-modify']);
  });

  it('tunnelDelete closes the transport and removes the sessions', async () => {
    const { config, hub, events } = setup({ maxSessions: 1 });
    await config.tunnelCreate(H1);
    const socket = hub.sockets.get('10.0.0.1|5000') as MemSocket;
    config.sessionCreate(42, { session_id: 128, peer_session_id: 5196755 });
    config.tunnelDelete(42);
    expect(socket.closed).toBe(true);
    expect(config.tunnelList()).toEqual([]);
    expect(config.sessionList()).toEqual([]);
    expect(await reason(() => config.sessionGet(42, 128))).toBe('NO_TUNNEL/ENODEV');
    expect(events.at(-1)).toEqual({ cmd: 'tunnel-delete', kind: 'static', tunnel_id: 42 });
    // The deleted session no longer counts against maxSessions.
    await config.tunnelCreate(H1);
    config.sessionCreate(42, { session_id: 128, peer_session_id: 5196755 });
  });
});

function setupOptions(): L2tpConfigOptions {
  return { transportFactory: () => new Hub().open('1.1.1.1', 0), clock: { now: () => 0 } };
}

// --- sessions ----------------------------------------------------------------------------------

describe('L2tpConfig: session commands', () => {
  it('sessionCreate reports the parameters; cookies as lowercase hex', async () => {
    const { config, events } = setup();
    await config.tunnelCreate(H1);
    const info = config.sessionCreate(42, {
      session_id: 128,
      peer_session_id: 5196755,
      cookie: 'DEADBEEF',
      peer_cookie: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
      seq: 'both',
      reorder_timeout: 50,
      lns_mode: true,
      debug: 8,
    });
    expect(info).toMatchObject({
      kind: 'static',
      tunnel_id: 42,
      peer_tunnel_id: 45,
      session_id: 128,
      peer_session_id: 5196755,
      proto_version: 3,
      encap: 'udp',
      cookie: 'deadbeef',
      peer_cookie: '0102030405060708',
      l2spec_type: 'default',
      pw_type: 5, // Ethernet, iproute2's only kind
      offset: 0,
      peer_offset: 0,
      seq: 'both',
      reorder_timeout: 50,
      lns_mode: true,
      debug: 8,
      state: 'static',
    });
    expect(config.sessionCreate(42, { session_id: 1, peer_session_id: 2 })).toMatchObject({
      cookie: '',
      peer_cookie: '',
      seq: 'none',
      reorder_timeout: 0,
      lns_mode: false,
      debug: 0,
    });
    expect(config.tunnelGet(42).sessions).toBe(2);
    expect(config.staticSession(42, 128)?.sessionId).toBe(128);
    expect(config.staticSession(42, 7)).toBeUndefined();
    expect(config.staticTunnel(42)?.tunnelId).toBe(42);
    expect(events.filter((e) => e.cmd === 'session-create')).toEqual([
      { cmd: 'session-create', kind: 'static', tunnel_id: 42, session_id: 128 },
      { cmd: 'session-create', kind: 'static', tunnel_id: 42, session_id: 1 },
    ]);
  });

  it('refuses bad sessions with the kernel errno and keeps nothing', async () => {
    const { config } = setup();
    await config.tunnelCreate(H1);
    const ok = { session_id: 128, peer_session_id: 5196755 };
    const cases: [number, object, string][] = [
      [43, ok, 'NO_TUNNEL/ENODEV'],
      [42, { ...ok, session_id: 0 }, 'INVALID_ID/EINVAL'],
      [42, { ...ok, peer_session_id: 0 }, 'INVALID_ID/EINVAL'],
      [42, { ...ok, session_id: -1 }, 'INVALID_ID/EINVAL'],
      [42, { peer_session_id: 1 }, 'MISSING_ATTR/EINVAL'],
      [42, { session_id: 1 }, 'MISSING_ATTR/EINVAL'],
      [42, { ...ok, cookie: 'abc' }, 'BAD_VALUE/EINVAL'],
      [42, { ...ok, peer_cookie: new Uint8Array(5) }, 'BAD_VALUE/EINVAL'],
      [42, { ...ok, l2spec_type: 'none', seq: 'both' }, 'BAD_VALUE/EINVAL'],
      [42, { ...ok, seq: 'sometimes' }, 'BAD_VALUE/EINVAL'],
      [42, { ...ok, reorder_timeout: 3_600_001 }, 'BAD_VALUE/EINVAL'],
      [42, { ...ok, lns_mode: 1 }, 'BAD_VALUE/EINVAL'],
      [42, { ...ok, debug: 0.5 }, 'BAD_VALUE/EINVAL'],
    ];
    for (const [tunnel, attrs, expected] of cases) {
      expect(
        await reason(() => config.sessionCreate(tunnel, attrs as never)),
        JSON.stringify(attrs),
      ).toBe(expected);
    }
    expect(config.sessionList()).toEqual([]);
    expect(config.staticTunnel(42)?.sessions()).toEqual([]);
  });

  it('session_id uniqueness: per tunnel over UDP, across the table when either side uses IP', async () => {
    const { config } = setup();
    await config.tunnelCreate({ ...H1, tunnel_id: 1, udp_sport: 1 });
    await config.tunnelCreate({ ...H1, tunnel_id: 2, udp_sport: 2 });
    await config.tunnelCreate({ tunnel_id: 3, peer_tunnel_id: 3, encap: 'ip', remote: '10.0.0.3' });
    await config.tunnelCreate({ tunnel_id: 4, peer_tunnel_id: 4, encap: 'ip', remote: '10.0.0.4' });
    config.sessionCreate(1, { session_id: 100, peer_session_id: 1 });
    expect(
      await reason(() => config.sessionCreate(1, { session_id: 100, peer_session_id: 2 })),
    ).toBe('SESSION_EXISTS/EEXIST');
    // UDP and UDP: the kernel lets two tunnels' sockets share an id.
    config.sessionCreate(2, { session_id: 100, peer_session_id: 1 });
    // IP and UDP: refused both ways.
    expect(
      await reason(() => config.sessionCreate(3, { session_id: 100, peer_session_id: 1 })),
    ).toBe('SESSION_EXISTS/EEXIST');
    config.sessionCreate(3, { session_id: 200, peer_session_id: 1 });
    expect(
      await reason(() => config.sessionCreate(1, { session_id: 200, peer_session_id: 1 })),
    ).toBe('SESSION_EXISTS/EEXIST');
    // IP and IP.
    expect(
      await reason(() => config.sessionCreate(4, { session_id: 200, peer_session_id: 1 })),
    ).toBe('SESSION_EXISTS/EEXIST');
    // Free again once deleted.
    config.sessionDelete(3, 200);
    config.sessionCreate(4, { session_id: 200, peer_session_id: 1 });
  });

  it('maxSessions counts sessions over all tunnels; a delete makes room', async () => {
    const { config } = setup({ maxSessions: 2 });
    await config.tunnelCreate({ ...H1, tunnel_id: 1, udp_sport: 1 });
    await config.tunnelCreate({ ...H1, tunnel_id: 2, udp_sport: 2 });
    config.sessionCreate(1, { session_id: 1, peer_session_id: 1 });
    config.sessionCreate(2, { session_id: 2, peer_session_id: 2 });
    expect(await reason(() => config.sessionCreate(2, { session_id: 3, peer_session_id: 3 }))).toBe(
      'TABLE_FULL/ENOSPC',
    );
    config.sessionDelete(1, 1);
    config.sessionCreate(2, { session_id: 3, peer_session_id: 3 });
    expect(config.sessionList().map((s) => s.session_id)).toEqual([2, 3]);
  });

  it('sessionModify: seq reaches the wire, lns_mode and debug are kept, all checked before any applies', async () => {
    const { config, hub, events } = setup();
    await config.tunnelCreate(H1);
    config.sessionCreate(42, { session_id: 128, peer_session_id: 5196755 });
    const peer = hub.open('10.0.0.2', 5001);
    const got: Uint8Array[] = [];
    peer.onDatagram((b) => got.push(b));
    const host = config.staticTunnel(42);
    const session = config.staticSession(42, 128) as StaticSession;
    host?.send(session, text('a'));
    expect(config.sessionModify(42, 128, { seq: 'send', lns_mode: true, debug: 4 })).toMatchObject({
      seq: 'send',
      lns_mode: true,
      debug: 4,
    });
    host?.send(session, text('b'));
    host?.send(session, text('c'));
    // Session ID 5196755 = 0x004f4bd3, then the Default L2SS: S bit and Ns 0, 1.
    expect(got.map((d) => Buffer.from(d.subarray(8, 12)).toString('hex'))).toEqual([
      '00000000',
      '40000000',
      '40000001',
    ]);
    expect(config.sessionModify(42, 128, { seq: 'recv' }).seq).toBe('recv');
    expect(session.sendSeq).toBe(false);
    expect(session.recvSeq).toBe(true);

    const before = config.sessionGet(42, 128);
    expect(
      await reason(() => config.sessionModify(42, 128, { debug: 1, cookie: 'abcdabcd' } as never)),
    ).toBe('IMMUTABLE/EINVAL');
    for (const key of ['peer_session_id', 'peer_cookie', 'l2spec_type', 'session_id', 'encap']) {
      expect(await reason(() => config.sessionModify(42, 128, { [key]: 1 } as never))).toBe(
        'IMMUTABLE/EINVAL',
      );
    }
    expect(await reason(() => config.sessionModify(42, 128, { debug: 1, seq: 'x' } as never))).toBe(
      'BAD_VALUE/EINVAL',
    );
    expect(
      await reason(() => config.sessionModify(42, 128, { lns_mode: false, reorder_timeout: -1 })),
    ).toBe('BAD_VALUE/EINVAL');
    expect(await reason(() => config.sessionModify(42, 128, { mtu: 70000 }))).toBe(
      'BAD_VALUE/EINVAL',
    );
    expect(config.sessionGet(42, 128)).toEqual(before);
    expect(await reason(() => config.sessionModify(42, 129, { debug: 1 }))).toBe(
      'NO_SESSION/ENODEV',
    );
    expect(await reason(() => config.sessionModify(41, 128, { debug: 1 }))).toBe(
      'NO_TUNNEL/ENODEV',
    );
    // Undefined values count as absent (a CLI passing every option).
    expect(config.sessionModify(42, 128, { seq: undefined, debug: 6 }).debug).toBe(6);
    // mtu: a longer frame is not sent and counts tx_errors.
    expect(config.sessionModify(42, 128, { mtu: 20, mru: 1500 })).toMatchObject({
      mtu: 20,
      mru: 1500,
    });
    host?.send(session, new Uint8Array(21));
    host?.send(session, new Uint8Array(20));
    expect(got).toHaveLength(4);
    expect(config.sessionGet(42, 128).stats).toMatchObject({ tx_packets: 4, tx_errors: 1 });
    expect(events.filter((e) => e.cmd === 'session-modify')).toHaveLength(4);
  });

  it('sessionModify seq on a session without the L2SS is refused and changes nothing', async () => {
    const { config } = setup();
    await config.tunnelCreate(H1);
    config.sessionCreate(42, { session_id: 128, peer_session_id: 1, l2spec_type: 'none' });
    expect(await reason(() => config.sessionModify(42, 128, { seq: 'send', debug: 9 }))).toBe(
      'BAD_VALUE/EINVAL',
    );
    expect(config.sessionGet(42, 128)).toMatchObject({ seq: 'none', debug: 0 });
    expect(config.sessionModify(42, 128, { seq: 'none' }).seq).toBe('none');
  });

  it('sessionModify reorder_timeout releases held frames to onFrame', async () => {
    const hub = new Hub();
    const a = setup({}, hub);
    const b = setup({}, hub);
    await a.config.tunnelCreate(H1);
    await b.config.tunnelCreate(H2);
    a.config.sessionCreate(42, { session_id: 128, peer_session_id: 5196755, seq: 'send' });
    b.config.sessionCreate(45, {
      session_id: 5196755,
      peer_session_id: 128,
      seq: 'recv',
      reorder_timeout: 1000,
    });
    const s = a.config.staticSession(42, 128) as StaticSession;
    // Frame 1 is lost: frames 2 and 3 wait for it in the reorder buffer.
    const socket = hub.sockets.get('10.0.0.1|5000') as MemSocket;
    a.config.staticTunnel(42)?.send(s, text('0'));
    s.send(text('1'), 0); // numbered, never sent
    a.config.staticTunnel(42)?.send(s, text('2'));
    a.config.staticTunnel(42)?.send(s, text('3'));
    expect(socket.sent).toBe(3);
    expect(b.frames).toEqual([[padded('0'), 5196755]]);
    expect(b.timers.pending.size).toBe(1);
    b.config.sessionModify(45, 5196755, { reorder_timeout: 0 });
    expect(b.frames).toEqual([
      [padded('0'), 5196755],
      [padded('2'), 5196755],
      [padded('3'), 5196755],
    ]);
    expect(b.config.sessionGet(45, 5196755)).toMatchObject({
      reorder_timeout: 0,
      stats: { rx_packets: 3, rx_bytes: 48 },
    });
    expect(b.timers.pending.size).toBe(0); // the host re-armed: nothing is held any more
    b.timers.advance(2000);
    expect(b.frames).toHaveLength(3);
  });

  it('atm-aal5 sessions hand each frame’s ATM flags to onFrame', async () => {
    const hub = new Hub();
    const got: (number | undefined)[] = [];
    const a = setup({}, hub);
    const b = setup({ onFrame: (_frame, _session, atmFlags) => got.push(atmFlags) }, hub);
    await a.config.tunnelCreate(H1);
    await b.config.tunnelCreate(H2);
    a.config.sessionCreate(42, { session_id: 128, peer_session_id: 5196755, pw_type: 'atm-aal5' });
    b.config.sessionCreate(45, { session_id: 5196755, peer_session_id: 128, pw_type: 'atm-aal5' });
    const s = a.config.staticSession(42, 128) as StaticSession;
    a.config.staticTunnel(42)?.send(s, text('x'), { atmFlags: 0x06 }); // G (EFCI) and C (CLP)
    a.config.staticTunnel(42)?.send(s, text('y'));
    expect(got).toEqual([0x06, 0]);
  });

  it('sessionDelete removes the session; its counters stay in the tunnel', async () => {
    const hub = new Hub();
    const a = setup({}, hub);
    const b = setup({}, hub);
    await a.config.tunnelCreate(H1);
    await b.config.tunnelCreate(H2);
    a.config.sessionCreate(42, { session_id: 128, peer_session_id: 5196755 });
    b.config.sessionCreate(45, { session_id: 5196755, peer_session_id: 128 });
    const s = a.config.staticSession(42, 128) as StaticSession;
    a.config.staticTunnel(42)?.send(s, text('hello'));
    b.config.sessionDelete(45, 5196755);
    expect(await reason(() => b.config.sessionGet(45, 5196755))).toBe('NO_SESSION/ENODEV');
    expect(await reason(() => b.config.sessionDelete(45, 5196755))).toBe('NO_SESSION/ENODEV');
    expect(b.config.tunnelGet(45)).toMatchObject({
      sessions: 0,
      stats: { rx_packets: 1, rx_bytes: 16 },
    });
    // Further datagrams for the deleted id are not a session's any more.
    a.config.staticTunnel(42)?.send(s, text('again'));
    expect(b.config.staticTunnel(45)?.stats().rxInvalid).toBe(1);
    expect(b.events.at(-1)).toEqual({
      cmd: 'session-delete',
      kind: 'static',
      tunnel_id: 45,
      session_id: 5196755,
    });
  });
});

// --- stats, lists, notifications, lifetime ----------------------------------------------------

describe('L2tpConfig: stats, lists, notifications', () => {
  it('get reports the session counters after traffic both ways, and the tunnel sums them', async () => {
    const hub = new Hub();
    const a = setup({}, hub);
    const b = setup({}, hub);
    await a.config.tunnelCreate(H1);
    await b.config.tunnelCreate(H2);
    const cookie = { cookie: '0badcafe', peer_cookie: 'feedf00d' };
    a.config.sessionCreate(42, { session_id: 128, peer_session_id: 5196755, ...cookie });
    a.config.sessionCreate(42, { session_id: 129, peer_session_id: 7 });
    b.config.sessionCreate(45, {
      session_id: 5196755,
      peer_session_id: 128,
      cookie: 'feedf00d',
      peer_cookie: '0badcafe',
    });
    b.config.sessionCreate(45, { session_id: 7, peer_session_id: 129 });
    const a128 = a.config.staticSession(42, 128) as StaticSession;
    const a129 = a.config.staticSession(42, 129) as StaticSession;
    const b1 = b.config.staticSession(45, 5196755) as StaticSession;
    const ta = a.config.staticTunnel(42);
    const tb = b.config.staticTunnel(45);
    for (const m of ['one', 'two', 'three']) ta?.send(a128, text(m));
    ta?.send(a129, text('x'));
    tb?.send(b1, text('back'));
    expect(a.frames).toEqual([[padded('back'), 128]]);
    expect(b.frames).toEqual([
      [padded('one'), 5196755],
      [padded('two'), 5196755],
      [padded('three'), 5196755],
      [padded('x'), 7],
    ]);
    const a128info = a.config.sessionGet(42, 128).stats;
    expect(a128info).toEqual({
      tx_packets: 3,
      tx_bytes: 48,
      tx_errors: 0,
      rx_packets: 1,
      rx_bytes: 16,
      rx_seq_discards: 0,
      rx_oos_packets: 0,
      rx_errors: 0,
      rx_cookie_discards: 0,
      rx_invalid: 0,
    });
    // Equal to the session's own counters under the kernel's names.
    const own = a128.stats();
    expect(a128info).toMatchObject({ tx_packets: own.txPackets, rx_bytes: own.rxBytes });
    expect(b.config.sessionGet(45, 5196755).stats).toMatchObject({
      rx_packets: 3,
      rx_bytes: 48,
      tx_packets: 1,
      tx_bytes: 16,
    });
    expect(a.config.tunnelGet(42).stats).toMatchObject({
      tx_packets: 4,
      tx_bytes: 64,
      rx_packets: 1,
      rx_bytes: 16,
    });
    expect(b.config.tunnelGet(45).stats).toMatchObject({ rx_packets: 4, rx_bytes: 64 });
  });

  it('lists tunnels by tunnel_id and sessions by tunnel then session_id', async () => {
    const { config } = setup();
    for (const id of [30, 10, 20]) {
      await config.tunnelCreate({ ...H1, tunnel_id: id, udp_sport: id });
    }
    config.sessionCreate(20, { session_id: 9, peer_session_id: 1 });
    config.sessionCreate(10, { session_id: 5, peer_session_id: 1 });
    config.sessionCreate(20, { session_id: 2, peer_session_id: 1 });
    config.sessionCreate(30, { session_id: 1, peer_session_id: 1 });
    expect(config.tunnelList().map((t) => t.tunnel_id)).toEqual([10, 20, 30]);
    expect(config.sessionList().map((s) => [s.tunnel_id, s.session_id])).toEqual([
      [10, 5],
      [20, 2],
      [20, 9],
      [30, 1],
    ]);
    expect(config.sessionList(20).map((s) => s.session_id)).toEqual([2, 9]);
    expect(await reason(() => config.sessionList(11))).toBe('NO_TUNNEL/ENODEV');
  });

  fcTest.prop(
    [
      fc.array(
        fc.oneof(
          fc.record({ op: fc.constant('tc' as const), t: fc.integer({ min: 1, max: 6 }) }),
          fc.record({ op: fc.constant('td' as const), t: fc.integer({ min: 1, max: 6 }) }),
          fc.record({
            op: fc.constant('sc' as const),
            t: fc.integer({ min: 1, max: 6 }),
            s: fc.integer({ min: 1, max: 6 }),
          }),
          fc.record({
            op: fc.constant('sd' as const),
            t: fc.integer({ min: 1, max: 6 }),
            s: fc.integer({ min: 1, max: 6 }),
          }),
        ),
        { maxLength: 40 },
      ),
    ],
    { numRuns: 60 },
  )(
    'any command sequence: lists match a model, refusals match the model, bounds hold',
    async (ops) => {
      const { config } = setup({ maxTunnels: 4, maxSessions: 5 });
      const model = new Map<number, Set<number>>();
      const sessions = () => [...model.values()].reduce((n, s) => n + s.size, 0);
      for (const o of ops) {
        let expected: ConfigErrorReason | 'ok';
        if (o.op === 'tc') {
          expected = model.has(o.t) ? 'TUNNEL_EXISTS' : model.size >= 4 ? 'TABLE_FULL' : 'ok';
          const got = await reason(config.tunnelCreate({ ...H1, tunnel_id: o.t, udp_sport: o.t }));
          expect(got.split('/')[0]).toBe(expected === 'ok' ? 'no error' : expected);
          if (expected === 'ok') model.set(o.t, new Set());
        } else if (o.op === 'td') {
          expected = model.has(o.t) ? 'ok' : 'NO_TUNNEL';
          const got = await reason(() => config.tunnelDelete(o.t));
          expect(got.split('/')[0]).toBe(expected === 'ok' ? 'no error' : expected);
          model.delete(o.t);
        } else if (o.op === 'sc') {
          const set = model.get(o.t);
          expected =
            set === undefined
              ? 'NO_TUNNEL'
              : set.has(o.s)
                ? 'SESSION_EXISTS'
                : sessions() >= 5
                  ? 'TABLE_FULL'
                  : 'ok';
          const got = await reason(() =>
            config.sessionCreate(o.t, { session_id: o.s, peer_session_id: o.s }),
          );
          expect(got.split('/')[0]).toBe(expected === 'ok' ? 'no error' : expected);
          if (expected === 'ok') set?.add(o.s);
        } else {
          const set = model.get(o.t);
          expected = set === undefined ? 'NO_TUNNEL' : set.has(o.s) ? 'ok' : 'NO_SESSION';
          const got = await reason(() => config.sessionDelete(o.t, o.s));
          expect(got.split('/')[0]).toBe(expected === 'ok' ? 'no error' : expected);
          set?.delete(o.s);
        }
        const tunnelIds = [...model.keys()].sort((x, y) => x - y);
        expect(config.tunnelList().map((t) => t.tunnel_id)).toEqual(tunnelIds);
        expect(config.sessionList().map((s) => [s.tunnel_id, s.session_id])).toEqual(
          tunnelIds.flatMap((t) =>
            [...(model.get(t) as Set<number>)].sort((x, y) => x - y).map((s) => [t, s]),
          ),
        );
      }
      config.close();
    },
  );

  it('watch: every change in order, unsubscribe, a throwing listener does not hide the change', async () => {
    const { config, events } = setup();
    await config.tunnelCreate(H1);
    config.sessionCreate(42, { session_id: 1, peer_session_id: 1 });
    config.sessionModify(42, 1, { debug: 1 });
    config.tunnelModify(42, { debug: 1 });
    config.sessionDelete(42, 1);
    const late: ConfigEvent[] = [];
    const stop = config.watch((e) => late.push(e));
    const boom = config.watch(() => {
      throw new Error('listener failed');
    });
    expect(() => config.tunnelDelete(42)).toThrow('listener failed');
    expect(config.tunnelList()).toEqual([]); // the delete happened
    expect(late).toHaveLength(1); // and the other listener still ran
    stop();
    boom();
    await config.tunnelCreate(H1);
    expect(late).toHaveLength(1);
    expect(events.map((e) => `${e.cmd}:${e.tunnel_id}:${e.session_id ?? '-'}`)).toEqual([
      'tunnel-create:42:-',
      'session-create:42:1',
      'session-modify:42:1',
      'tunnel-modify:42:-',
      'session-delete:42:1',
      'tunnel-delete:42:-',
      'tunnel-create:42:-',
    ]);
  });

  it('close: static transports closed, every command then CLOSED', async () => {
    const { config, hub } = setup();
    await config.tunnelCreate(H1);
    const socket = hub.sockets.get('10.0.0.1|5000') as MemSocket;
    config.close();
    config.close();
    expect(socket.closed).toBe(true);
    expect(await reason(config.tunnelCreate(H1))).toBe('CLOSED/ESHUTDOWN');
    expect(await reason(() => config.tunnelList())).toBe('CLOSED/ESHUTDOWN');
    expect(await reason(() => config.tunnelGet(42))).toBe('CLOSED/ESHUTDOWN');
  });

  it('a close while a create waits for its transport: the transport is closed, the create rejects', async () => {
    const hub = new Hub();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let socket: MemSocket | undefined;
    const config = new L2tpConfig({
      transportFactory: async (r) => {
        await gate;
        socket = hub.open('10.0.0.1', r.udp_sport);
        return socket;
      },
      clock: { now: () => 0 },
    });
    const pending = config.tunnelCreate(H1);
    config.close();
    release();
    expect(await reason(pending)).toBe('CLOSED/ESHUTDOWN');
    expect(socket?.closed).toBe(true);
  });
});
