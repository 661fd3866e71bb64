/**
 * What `l2tp-core lac` / `lns` print: one line (or one JSON object) per event as it happens, a
 * live progress line while many sessions open (rewritten in place on a terminal, a plain line
 * per second otherwise) and the closing summary. Output only: no protocol logic, no sockets.
 * Not here: running tunnels (run.ts), argument parsing (run.ts).
 */

/** Output streams of the reporter. */
export interface ReporterIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** True when standard error is a terminal: the progress line is rewritten in place. */
  readonly isTTY: boolean;
}

/** Totals printed at the end (and as the `summary` JSON event). Times in milliseconds. */
export interface Summary {
  readonly role: 'lac' | 'lns';
  readonly tunnels: { readonly up: number; readonly failed: number; readonly total: number };
  readonly sessions: { readonly up: number; readonly failed: number; readonly total: number };
  readonly frames: {
    readonly sent: number;
    readonly received: number;
    /** LAC: frames echoed back by the LNS; LNS: frames it echoed. */
    readonly echoed: number;
    readonly dropped: number;
  };
  readonly control: {
    readonly messagesSent: number;
    readonly retransmissions: number;
    readonly acksSent: number;
  };
  /** Slowest tunnel setup (SCCRQ to up), undefined when none came up. */
  readonly tunnelSetupMs: number | undefined;
  /** From the first SCCRQ until every session was up (LAC), undefined otherwise. */
  readonly setupMs: number | undefined;
  /** Datagrams recorded into the `--pcap` file, undefined without one. */
  readonly pcapRecords: number | undefined;
  readonly durationMs: number;
  readonly exitCode: number;
}

/** Progress of opening tunnels and sessions. */
export interface Progress {
  readonly tunnelsUp: number;
  readonly tunnels: number;
  readonly sessionsUp: number;
  readonly sessions: number;
  readonly failed: number;
}

const THROTTLE_TTY_MS = 100;
const THROTTLE_PLAIN_MS = 1000;

const ms = (n: number | undefined) => (n === undefined ? '-' : `${n.toFixed(1)} ms`);

/** Prints events, progress and the summary in text or JSON lines. */
export class Reporter {
  readonly #io: ReporterIo;
  readonly #json: boolean;
  readonly #elapsed: () => number;
  #lastProgressAt = Number.NEGATIVE_INFINITY;
  #progressShown = false;

  /** `elapsedMs` gives the milliseconds since the command started (event timestamps). */
  constructor(io: ReporterIo, json: boolean, elapsedMs: () => number) {
    this.#io = io;
    this.#json = json;
    this.#elapsed = elapsedMs;
  }

  /**
   * One event: in JSON mode `{"time":…,"event":name,…fields}` on standard output, else `text`
   * prefixed by the elapsed time in seconds.
   */
  event(name: string, fields: Readonly<Record<string, unknown>>, text: string): void {
    const t = this.#elapsed() / 1000;
    this.#clearProgress();
    if (this.#json) {
      this.#io.stdout(
        `${JSON.stringify({ time: Number(t.toFixed(6)), event: name, ...fields })}\n`,
      );
    } else {
      this.#io.stdout(`${t.toFixed(3).padStart(8)}s  ${text}\n`);
    }
  }

  /** A message on standard error (warnings, usage of the running process). */
  note(text: string): void {
    this.#clearProgress();
    this.#io.stderr(`${text}\n`);
  }

  /**
   * Shows progress on standard error: rewritten in place at most every 100 ms on a terminal,
   * a plain line at most every second otherwise; `force` prints regardless (the last state).
   */
  progress(p: Progress, force = false): void {
    const now = this.#elapsed();
    const every = this.#io.isTTY ? THROTTLE_TTY_MS : THROTTLE_PLAIN_MS;
    if (!force && now - this.#lastProgressAt < every) return;
    this.#lastProgressAt = now;
    const text =
      `tunnels ${p.tunnelsUp}/${p.tunnels} up, sessions ${p.sessionsUp}/${p.sessions} up` +
      `${p.failed > 0 ? `, ${p.failed} failed` : ''}`;
    if (this.#io.isTTY) {
      this.#io.stderr(`\r\x1b[K${text}`);
      this.#progressShown = true;
    } else {
      this.#io.stderr(`progress: ${text}\n`);
    }
  }

  /** Ends a live progress line (a terminal gets its line cleared). */
  endProgress(): void {
    this.#clearProgress();
  }

  /** Prints the summary: a table in text mode, a `summary` event in JSON mode. */
  summary(s: Summary): void {
    if (this.#json) {
      const { role, exitCode, ...rest } = s;
      this.event('summary', { role, ...rest, exitCode }, '');
      return;
    }
    this.#clearProgress();
    for (const line of formatSummary(s)) this.#io.stdout(`${line}\n`);
  }

  #clearProgress(): void {
    if (!this.#progressShown) return;
    this.#io.stderr('\r\x1b[K');
    this.#progressShown = false;
  }
}

/** The text summary, one string per line. */
export function formatSummary(s: Summary): string[] {
  const lines = [
    `summary (${s.role}, ${(s.durationMs / 1000).toFixed(3)} s):`,
    `  tunnels          ${s.tunnels.up} up, ${s.tunnels.failed} failed, ${s.tunnels.total} total`,
    `  sessions         ${s.sessions.up} up, ${s.sessions.failed} failed, ${s.sessions.total} total`,
    `  frames           ${s.frames.sent} sent, ${s.frames.received} received, ` +
      `${s.frames.echoed} echoed, ${s.frames.dropped} dropped`,
    `  control          ${s.control.messagesSent} messages sent, ` +
      `${s.control.retransmissions} retransmissions, ${s.control.acksSent} acks sent`,
    `  setup            tunnel ${ms(s.tunnelSetupMs)} (slowest), all sessions ${ms(s.setupMs)}`,
  ];
  if (s.pcapRecords !== undefined) lines.push(`  pcap             ${s.pcapRecords} datagrams`);
  lines.push(`  exit code        ${s.exitCode}`);
  return lines;
}
