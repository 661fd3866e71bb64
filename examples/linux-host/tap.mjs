// TapDevice: a Linux TAP (or TUN) interface for a user-space L2TP data plane, over the small
// N-API addon in src/tap.cc (build/Release/tap.node). The fd is non-blocking and watched with
// libuv's poll on the Node loop; readable → drain with fs.readSync until EAGAIN. Writes are
// synchronous (a TAP write never blocks for long; EAGAIN drops the frame, like a full queue).
// Not here: addresses and link state (use `ip addr` / `ip link`), L2TP.
import { closeSync, readSync, writeSync } from 'node:fs';

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const addon = require('./build/Release/tap.node');

/** Octets free before every frame handed to onFrame (≥ the largest L2TPv3 header: UDP 4 + Session ID 4 + cookie 8 + L2SS 4 + offset 255 + PPP 2). */
export const HEADROOM = 288;

/** Largest frame read: a TAP MTU of up to 65521 plus the Ethernet header. */
const READ_SIZE = 65536;

export class TapDevice {
  /** Interface name the kernel gave (e.g. `l2tp0`). */
  name;
  #fd;
  #stop;
  #closed = false;
  #buf = Buffer.allocUnsafe(READ_SIZE);
  #stats = { rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, txDropped: 0, errors: 0 };

  constructor(fd, name) {
    this.#fd = fd;
    this.name = name;
  }

  /**
   * Creates (or attaches to) the interface `name`: TAP (Ethernet frames) by default, TUN (IP
   * packets) with `{ tap: false }`. Needs CAP_NET_ADMIN. The interface starts down.
   */
  static open(name, { tap = true } = {}) {
    const { fd, name: actual } = addon.open(name, tap);
    return new TapDevice(fd, actual);
  }

  /**
   * Calls `onFrame(frame)` for every frame the kernel sends out of the interface. Each frame is a
   * fresh Buffer the callee may keep. `onError(error)` gets read errors other than EAGAIN.
   */
  start(onFrame, onError = () => {}) {
    if (this.#stop || this.#closed) throw new Error('TapDevice: already started or closed');
    this.#stop = addon.watch(this.#fd, (status) => {
      if (status < 0) {
        this.#stats.errors++;
        onError(new Error(`poll failed: ${status}`));
        return;
      }
      this.#drain(onFrame, onError);
    });
  }

  /** Writes one frame into the interface (the kernel receives it). Returns false when dropped. */
  write(frame) {
    if (this.#closed) return false;
    try {
      const n = writeSync(this.#fd, frame);
      this.#stats.txFrames++;
      this.#stats.txBytes += n;
      return true;
    } catch (error) {
      if (error.code === 'EAGAIN') this.#stats.txDropped++;
      else this.#stats.errors++;
      return false;
    }
  }

  /** Stops polling, then closes the fd (in that order: libuv must not poll a closed fd). */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop?.();
    closeSync(this.#fd);
  }

  /** Counters: frames/bytes read from (rx) and written to (tx) the interface. */
  stats() {
    return { ...this.#stats };
  }

  #drain(onFrame, onError) {
    while (!this.#closed) {
      let n;
      try {
        n = readSync(this.#fd, this.#buf, 0, READ_SIZE, null);
      } catch (error) {
        if (error.code !== 'EAGAIN') {
          this.#stats.errors++;
          onError(error);
        }
        return;
      }
      if (n <= 0) return;
      this.#stats.rxFrames++;
      this.#stats.rxBytes += n;
      // A copy: #buf is reused, and sends may complete after this returns. It lands HEADROOM
      // octets into its own buffer, so the L2TP header can be written in front of it (inPlace).
      const copy = new Uint8Array(HEADROOM + n);
      copy.set(this.#buf.subarray(0, n), HEADROOM);
      onFrame(copy.subarray(HEADROOM));
    }
  }
}
