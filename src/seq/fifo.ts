/**
 * A first-in first-out queue with O(1) amortised push and shift, used by the reliable channel
 * (send queue, retransmit queue) and the reorder buffer (arrival order for expiry).
 * Array.prototype.shift is O(n); this keeps a head index and compacts when half the array is dead.
 * Internal to src/seq: not exported from the package.
 */

/** FIFO queue over an array with a moving head. */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** Number of items in the queue. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Appends `item` at the tail. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** The item at the head, or undefined when empty. */
  peek(): T | undefined {
    return this.#head < this.#items.length ? this.#items[this.#head] : undefined;
  }

  /** The item `i` places behind the head (0 = head), or undefined. */
  at(i: number): T | undefined {
    const j = this.#head + i;
    return j < this.#items.length ? this.#items[j] : undefined;
  }

  /** Removes and returns the head, or undefined when empty. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined; // let the GC have it
    this.#head++;
    if (this.#head === this.#items.length) {
      // A fresh empty array has no backing store: an idle queue (most of them, with 100,000
      // tunnels) keeps none.
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 32 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Keeps only the items for which `keep` is true, preserving order. O(n). */
  filter(keep: (item: T) => boolean): void {
    const out: T[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i] as T;
      if (keep(item)) out.push(item);
    }
    this.#items = out;
    this.#head = 0;
  }

  /** Removes every item. */
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
