// Shared pieces of the managed-tunnel benchmarks (issue #13): an in-memory datagram network, a
// virtual timer host driven by a VirtualClock, a driver that runs both until a condition holds,
// and small statistics helpers. Only the package entry points are imported (dist/index.js,
// dist/node/index.js, dist/testing/index.js), so the benches survive changes to the engine's
// internal layout.

import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export function check(ok, what) {
  if (!ok) throw new Error(`assertion failed: ${what}`);
}

/** Process CPU time (user + system) in ms. */
export function cpuMs() {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

export const wallMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * CPU time (user + system) of the main thread in ms, on Linux; undefined elsewhere. The rest of
 * the process's CPU is V8's helper threads (optimizing compiler, garbage collector).
 */
export function mainThreadMs() {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // clock ticks of 10 ms
  } catch {
    return undefined;
  }
}

/** global.gc, exposed at run time when node was started without --expose-gc. */
export function getGc() {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc');
}

/** Heap in use after two full collections, in bytes. */
export function heapAfterGc(gc) {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export const envList = (name, fallback) =>
  (process.env[name] ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

export const envNumber = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v.replaceAll('_', ''));
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got ${v}`);
  return n;
};

/** A table: rows of strings, the first row is the header; the first column left-aligned. */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const line = (r) =>
    r
      .map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
      .join('  ');
  console.log(line(rows[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows.slice(1)) console.log(line(r));
}

// --- virtual timers ----------------------------------------------------------------------------

/**
 * A TimerHost on a VirtualClock: a binary heap of deadlines (ties fire in the order they were
 * set), cancelled entries dropped lazily and compacted when they outnumber the live ones.
 * Nothing fires by itself: `fireNext()` / `advanceTo()` move the clock and fire what is due.
 */
export class VirtualTimers {
  constructor(clock) {
    this.clock = clock;
    this.heap = [];
    this.live = 0;
    this.seq = 0;
    this.fired = 0;
    /** Called after every firing (the driver drains the network there). */
    this.afterFire = undefined;
  }

  set(delayMs, fire) {
    const d = Number.isNaN(delayMs) ? 0 : Math.max(0, delayMs); // negative or NaN: now
    const h = { at: this.clock.now() + d, seq: this.seq++, fire, live: true };
    this.#push(h);
    this.live++;
    if (this.heap.length > 1024 && this.heap.length > 4 * this.live) this.compact();
    return h;
  }

  clear(h) {
    if (h?.live) {
      h.live = false;
      h.fire = undefined; // a cancelled entry waiting in the heap keeps nothing alive
      this.live--;
    }
  }

  /** Earliest live deadline, or undefined. */
  nextAt() {
    const heap = this.heap;
    while (heap.length > 0 && !heap[0].live) this.#pop();
    return heap.length > 0 ? heap[0].at : undefined;
  }

  /** Moves the clock to the earliest deadline and fires every timer due then; false when none. */
  fireNext() {
    const at = this.nextAt();
    if (at === undefined) return false;
    this.advanceTo(at);
    return true;
  }

  /** Fires every timer due up to `t` in deadline order, moving the clock along; ends at `t`. */
  advanceTo(t) {
    for (;;) {
      const at = this.nextAt();
      if (at === undefined || at > t) break;
      const h = this.#pop();
      if (at > this.clock.now()) this.clock.advanceTo(at);
      const fire = h.fire;
      h.live = false;
      h.fire = undefined;
      this.live--;
      this.fired++;
      fire();
      this.afterFire?.();
    }
    if (t > this.clock.now()) this.clock.advanceTo(t);
  }

  #less(a, b) {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #push(h) {
    const heap = this.heap;
    let i = heap.length;
    heap.push(h);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(h, heap[p])) break;
      heap[i] = heap[p];
      i = p;
    }
    heap[i] = h;
  }

  #pop() {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0) {
      let i = 0;
      const n = heap.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && this.#less(heap[r], heap[l]) ? r : l;
        if (!this.#less(heap[c], last)) break;
        heap[i] = heap[c];
        i = c;
      }
      heap[i] = last;
    }
    return top;
  }

  /** Drops the cancelled entries now. */
  compact() {
    const keep = this.heap.filter((h) => h.live);
    this.heap = [];
    for (const h of keep) this.#push(h);
  }
}

// --- in-memory network -------------------------------------------------------------------------

function joined(data) {
  if (data instanceof Uint8Array) return data;
  const [header, payload] = data;
  const out = new Uint8Array(header.length + payload.length);
  out.set(header);
  out.set(payload, header.length);
  return out;
}

/**
 * Datagram transports on one in-memory network: `send` queues the datagram (header and payload
 * joined, as UDP delivers them), `drain()` hands queued datagrams to the receiving transport's
 * handlers in order until the queue is empty. A transport with `muted` set counts its sends and
 * drops them (the timed loops use it).
 */
export class MemNet {
  constructor() {
    this.queue = [];
    this.head = 0;
    this.nodes = new Map();
    this.delivered = 0;
    this.undeliverable = 0;
  }

  /** A DatagramTransport bound to `local` ({ address, port }). */
  transport(local) {
    const key = `${local.address}|${local.port}`;
    const net = this;
    const from = Object.freeze({ address: local.address, port: local.port, family: 'IPv4' });
    const t = {
      local: from,
      handlers: [],
      muted: false,
      sent: 0,
      send(data, peer) {
        t.sent++;
        if (t.muted) return;
        net.queue.push({ to: `${peer.address}|${peer.port}`, from, bytes: joined(data) });
      },
      onDatagram(handler) {
        t.handlers = [...t.handlers, handler];
        return () => {
          t.handlers = t.handlers.filter((h) => h !== handler);
        };
      },
      close() {
        net.nodes.delete(key);
      },
    };
    this.nodes.set(key, t);
    return t;
  }

  /** Delivers queued datagrams (and those sent meanwhile) until none is left. */
  drain() {
    const q = this.queue;
    while (this.head < q.length) {
      const d = q[this.head];
      q[this.head++] = undefined;
      const node = this.nodes.get(d.to);
      if (node === undefined || node.handlers.length === 0) {
        this.undeliverable++;
        continue;
      }
      this.delivered++;
      for (const h of node.handlers) h(d.bytes, d.from);
    }
    this.queue = [];
    this.head = 0;
  }

  /** Takes the queued datagrams out without delivering them. */
  take() {
    const out = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    return out;
  }
}

const macrotask = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs the network and the virtual timers until `done()` holds: deliver everything queued; when
 * nothing is queued, fire the next timer (moving the virtual clock). Events the shell defers to
 * microtasks run at the macrotask breaks. Throws when nothing is left to do, or when the virtual
 * clock passes `limitMs` ahead, with `what` in the message.
 */
export async function settle(net, timers, done, what, limitMs = 600_000) {
  const clock = timers.clock;
  const end = clock.now() + limitMs;
  timers.afterFire = () => net.drain();
  for (let step = 0; ; step++) {
    net.drain();
    if (done()) return;
    if (step % 16 === 15) {
      await macrotask();
      net.drain();
      if (done()) return;
    }
    const at = timers.nextAt();
    if (at === undefined || at > end) {
      await macrotask();
      net.drain();
      if (done()) return;
      throw new Error(`${what}: stalled at virtual ${clock.now()} ms (next timer ${at})`);
    }
    timers.fireNext();
  }
}

/**
 * Delivers everything and moves the virtual clock `quietMs` ahead, firing what is due on the way
 * (delayed acks, retransmissions; HELLOs that fall due in that span too).
 */
export async function quiesce(net, timers, quietMs = 5_000) {
  timers.afterFire = () => net.drain();
  net.drain();
  await macrotask();
  timers.advanceTo(timers.clock.now() + quietMs);
  net.drain();
  await macrotask();
  net.drain();
}
