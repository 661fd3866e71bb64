// A Linux TUN device (IFF_TUN | IFF_NO_PI: raw IPv4/IPv6 packets, no 4-byte packet-information
// prefix) as an l2tp-core `IpPacketPort` (src/ppp/server.ts): `write(packet)` hands a packet to
// the kernel, `onPacket(handler)` gets every packet the kernel routes out of the interface.
// Over the TapDevice of tap.mjs in TUN mode: the fd is non-blocking, watched with libuv's poll,
// drained with fs.readSync until EAGAIN; writes are synchronous (EAGAIN drops the packet).
// The interface disappears when closed (it is not made persistent).
//
// This module is what `l2tp-core connect` and `l2tp-core lns --ppp` load for their TUN device
// (src/cli/ppp-host.ts): any module exporting `openTun(name)` with this shape will do
// (L2TP_CORE_TUN_MODULE=/path/to/module.mjs). No addresses, routes or link state here: the CLI
// sets those with `ip`.
import { TapDevice } from './tap.mjs';

/**
 * Creates the TUN interface `name` (a `%d` in the name lets the kernel pick a number) and
 * returns it as an IP packet port. Needs CAP_NET_ADMIN; throws the addon's error otherwise
 * (`open /dev/net/tun: …` or `ioctl TUNSETIFF: Operation not permitted`). Starts down.
 */
export function openTun(name) {
  return new TunPort(TapDevice.open(name, { tap: false }));
}

export class TunPort {
  /** The interface name the kernel gave. */
  name;
  #dev;
  #handlers = new Set();
  #started = false;
  #closed = false;

  constructor(dev) {
    this.#dev = dev;
    this.name = dev.name;
  }

  /** A packet for the kernel (it arrives on the interface). False when dropped. */
  write(packet) {
    return this.#dev.write(packet);
  }

  /**
   * Calls `handler(packet)` for every packet the kernel sends out of the interface (a fresh
   * Uint8Array the handler may keep). Returns the unsubscribe function. Reading starts with the
   * first handler.
   */
  onPacket(handler) {
    this.#handlers.add(handler);
    if (!this.#started && !this.#closed) {
      this.#started = true;
      this.#dev.start(
        (packet) => {
          for (const h of this.#handlers) h(packet);
        },
        () => {}, // counted in stats().errors
      );
    }
    return () => this.#handlers.delete(handler);
  }

  /** Stops reading and closes the fd: the kernel removes the interface and its routes. */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers.clear();
    this.#dev.close();
  }

  /** rxFrames/rxBytes: packets read from the interface; tx*: written into it; drops, errors. */
  stats() {
    return this.#dev.stats();
  }
}
