/**
 * DeadlineHeap: an indexed binary min-heap of things that wake at a time (ms), so the earliest
 * is known in O(1) and a change costs O(log n), whatever the number of entries. The engine keeps
 * its sessions' reorder timers in one, the Endpoint its tunnels' deadlines in another, so the work
 * per datagram and per timer firing follows what is due, not how many tunnels or sessions exist.
 * Entries carry their own slot (`heapIndex`), so update and remove need no search.
 */

/** Something a DeadlineHeap can hold: it stores its own position and deadline. */
export interface HeapEntry {
  /** Position in the heap, -1 when not in it. Owned by the heap. */
  heapIndex: number;
  /** The deadline it is filed under (meaningful while heapIndex ≥ 0). Owned by the heap. */
  heapDeadline: number;
}

/** A min-heap by `heapDeadline`; ties leave the order unspecified. */
export class DeadlineHeap<T extends HeapEntry> {
  readonly #items: T[] = [];

  /** Number of entries. */
  get size(): number {
    return this.#items.length;
  }

  /** The earliest deadline, or undefined when empty. O(1). */
  peekDeadline(): number | undefined {
    const top = this.#items[0];
    return top === undefined ? undefined : top.heapDeadline;
  }

  /** The entry with the earliest deadline, or undefined. O(1). */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Files `item` under `deadline`, moves it, or (undefined) removes it. O(log n). */
  set(item: T, deadline: number | undefined): void {
    if (deadline === undefined) {
      this.remove(item);
      return;
    }
    const i = item.heapIndex;
    if (i < 0) {
      item.heapDeadline = deadline;
      item.heapIndex = this.#items.length;
      this.#items.push(item);
      this.#up(item.heapIndex);
      return;
    }
    const old = item.heapDeadline;
    if (old === deadline) return;
    item.heapDeadline = deadline;
    if (deadline < old) this.#up(i);
    else this.#down(i);
  }

  /** Removes `item` when present. O(log n). */
  remove(item: T): void {
    const i = item.heapIndex;
    if (i < 0) return;
    const items = this.#items;
    const last = items.pop() as T;
    item.heapIndex = -1;
    if (last === item) return;
    items[i] = last;
    last.heapIndex = i;
    this.#down(i);
    this.#up(last.heapIndex);
  }

  /** Removes and returns the earliest entry when its deadline is ≤ `now`. O(log n). */
  popDue(now: number): T | undefined {
    const top = this.#items[0];
    if (top === undefined || top.heapDeadline > now) return undefined;
    this.remove(top);
    return top;
  }

  /** Removes every entry. */
  clear(): void {
    for (const item of this.#items) item.heapIndex = -1;
    this.#items.length = 0;
  }

  #up(i: number): void {
    const items = this.#items;
    const item = items[i] as T;
    const at = item.heapDeadline;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p] as T;
      if (parent.heapDeadline <= at) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    items[i] = item;
    item.heapIndex = i;
  }

  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    const item = items[i] as T;
    const at = item.heapDeadline;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && (items[r] as T).heapDeadline < (items[l] as T).heapDeadline) c = r;
      const child = items[c] as T;
      if (child.heapDeadline >= at) break;
      items[i] = child;
      child.heapIndex = i;
      i = c;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}
