// The output of a child process as lines, with waiting for a line: shared by the harnesses that
// run peers (xl2tpd, l2tpns, freeradius) and wait for what they log.

/** Log lines of one process, with waiting for a line. */
export class ProcessLog {
  readonly name: string;
  readonly #lines: string[] = [];
  #partial = '';
  #waiters: LogWaiter[] = [];
  #closed: string | undefined;

  constructor(name: string) {
    this.name = name;
  }

  get lines(): readonly string[] {
    return this.#lines;
  }

  get text(): string {
    return this.#lines.join('\n');
  }

  /** The index the next line will have: pass it as `from` to wait for later lines only. */
  mark(): number {
    return this.#lines.length;
  }

  /** Lines (from index `from`) that match `re`. */
  grep(re: RegExp, from = 0): string[] {
    return this.#lines.slice(from).filter((l) => re.test(l));
  }

  /**
   * The first line at index ≥ `from` (default 0) matching `re`. Rejects after `timeoutMs`
   * (default 10000) or when the process ends first, with the log in the message.
   */
  waitFor(
    re: RegExp,
    options: { readonly from?: number; readonly timeoutMs?: number } = {},
  ): Promise<RegExpExecArray> {
    const from = options.from ?? 0;
    for (let i = from; i < this.#lines.length; i++) {
      const m = re.exec(this.#lines[i] as string);
      if (m) return Promise.resolve(m);
    }
    const fail = (why: string) =>
      new Error(`${why} while waiting for ${re} in the ${this.name} log:\n${this.text}`);
    if (this.#closed !== undefined) return Promise.reject(fail(this.#closed));
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const waiter: LogWaiter = {
        re,
        from,
        resolve: (m) => {
          clearTimeout(waiter.timer);
          resolve(m);
        },
        reject: (why) => {
          clearTimeout(waiter.timer);
          reject(fail(why));
        },
        timer: setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          waiter.reject(`timeout (${timeoutMs} ms)`);
        }, timeoutMs),
      };
      this.#waiters.push(waiter);
    });
  }

  feed(text: string): void {
    const parts = (this.#partial + text).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const line of parts) {
      if (line === '') continue;
      this.#lines.push(line);
      const index = this.#lines.length - 1;
      for (const w of this.#waiters.slice()) {
        if (index < w.from) continue;
        const m = w.re.exec(line);
        if (m) {
          this.#waiters = this.#waiters.filter((x) => x !== w);
          w.resolve(m);
        }
      }
    }
  }

  /** No more lines will come: waiters fail with `why`. */
  close(why: string): void {
    this.feed('\n');
    this.#closed ??= why;
    for (const w of this.#waiters.splice(0)) w.reject(why);
  }
}

interface LogWaiter {
  readonly re: RegExp;
  readonly from: number;
  readonly resolve: (m: RegExpExecArray) => void;
  readonly reject: (why: string) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}
