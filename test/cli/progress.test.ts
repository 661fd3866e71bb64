/**
 * What lac/lns print: timestamped event lines or JSON lines, the progress line (rewritten in
 * place and throttled on a terminal, plain lines at most once a second otherwise) and the summary.
 */
import { describe, expect, it } from 'vitest';
import { formatSummary, Reporter, type Summary } from '../../src/cli/progress.js';

function reporter(isTTY: boolean, json = false) {
  const out: string[] = [];
  const err: string[] = [];
  let now = 0;
  const r = new Reporter(
    { stdout: (t) => out.push(t), stderr: (t) => err.push(t), isTTY },
    json,
    () => now,
  );
  return { r, out, err, at: (ms: number) => (now = ms) };
}

const p = (sessionsUp: number) => ({
  tunnelsUp: 1,
  tunnels: 2,
  sessionsUp,
  sessions: 100,
  failed: 0,
});

const summary: Summary = {
  role: 'lac',
  tunnels: { up: 2, failed: 0, total: 2 },
  sessions: { up: 6, failed: 0, total: 6 },
  frames: { sent: 24, received: 24, echoed: 24, dropped: 0 },
  control: { messagesSent: 24, retransmissions: 1, acksSent: 3 },
  tunnelSetupMs: 12.34,
  setupMs: 45.6,
  pcapRecords: 86,
  durationMs: 1234,
  exitCode: 0,
};

describe('Reporter', () => {
  it('text events carry the elapsed time; JSON events are one object per line', () => {
    const t = reporter(false);
    t.at(1234.5);
    t.r.event('tunnel-up', { tunnel: 7 }, 'tunnel 7 up');
    expect(t.out).toEqual(['   1.234s  tunnel 7 up\n']);
    const j = reporter(false, true);
    j.at(1500);
    j.r.event('tunnel-up', { tunnel: 7 }, 'ignored');
    expect(j.out.map((l) => JSON.parse(l))).toEqual([{ time: 1.5, event: 'tunnel-up', tunnel: 7 }]);
  });

  it('on a terminal: one line rewritten in place, at most every 100 ms, cleared before events', () => {
    const t = reporter(true);
    t.r.progress(p(1));
    t.at(50);
    t.r.progress(p(2)); // throttled
    t.at(100);
    t.r.progress(p(3));
    expect(t.err).toEqual([
      '\r\x1b[Ktunnels 1/2 up, sessions 1/100 up',
      '\r\x1b[Ktunnels 1/2 up, sessions 3/100 up',
    ]);
    t.r.event('x', {}, 'an event');
    expect(t.err.at(-1)).toBe('\r\x1b[K');
    t.r.progress(p(4), true);
    t.r.endProgress();
    expect(t.err.slice(-2)).toEqual(['\r\x1b[Ktunnels 1/2 up, sessions 4/100 up', '\r\x1b[K']);
  });

  it('not a terminal: plain lines, at most one a second, failures shown', () => {
    const t = reporter(false);
    t.r.progress(p(1));
    t.at(999);
    t.r.progress(p(2));
    t.at(1000);
    t.r.progress({ ...p(3), failed: 2 });
    t.r.endProgress();
    expect(t.err).toEqual([
      'progress: tunnels 1/2 up, sessions 1/100 up\n',
      'progress: tunnels 1/2 up, sessions 3/100 up, 2 failed\n',
    ]);
  });

  it('summary: a table in text, one summary event in JSON', () => {
    expect(formatSummary(summary)).toEqual([
      'summary (lac, 1.234 s):',
      '  tunnels          2 up, 0 failed, 2 total',
      '  sessions         6 up, 0 failed, 6 total',
      '  frames           24 sent, 24 received, 24 echoed, 0 dropped',
      '  control          24 messages sent, 1 retransmissions, 3 acks sent',
      '  setup            tunnel 12.3 ms (slowest), all sessions 45.6 ms',
      '  pcap             86 datagrams',
      '  exit code        0',
    ]);
    const j = reporter(false, true);
    j.r.summary({ ...summary, pcapRecords: undefined, setupMs: undefined });
    const e = JSON.parse(j.out[0] as string) as Record<string, unknown>;
    expect(e).toMatchObject({ event: 'summary', role: 'lac', exitCode: 0, frames: summary.frames });
    expect('pcapRecords' in e).toBe(false);
  });
});
