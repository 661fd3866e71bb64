/**
 * Test helper: the `l2tp-core` command as a user runs it. `buildCli()` compiles src/ with the
 * build tsconfig into a private directory under node_modules/.cache (dist/ is shared with other
 * work and `npm run build` deletes it first), once per test process; `startCli()` spawns
 * `node …/cli/main.js` and collects its output; `waitFor` waits for a line, never for a time.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
let built: string | undefined;

/** Compiles the package once per process; returns the path of the built cli/main.js. */
export function buildCli(): string {
  if (built !== undefined) return built;
  const out = join(ROOT, 'node_modules', '.cache', 'l2tp-core-cli-test', String(process.pid));
  rmSync(out, { recursive: true, force: true });
  // tsc emits even when a file elsewhere has type errors; the CLI's own are checked by tsc -p.
  spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(ROOT, 'tsconfig.build.json'),
      '--outDir',
      out,
      '--declaration',
      'false',
    ],
    { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
  );
  const main = join(out, 'cli', 'main.js');
  if (!existsSync(main)) throw new Error(`build of the CLI failed: no ${main}`);
  built = main;
  buildDir = out;
  return main;
}

let buildDir: string | undefined;

/** Removes the private build (call it in afterAll; test workers end without an 'exit' event). */
export function removeCliBuild(): void {
  if (buildDir !== undefined) rmSync(buildDir, { recursive: true, force: true });
  buildDir = undefined;
  built = undefined;
}

/** A running `l2tp-core` process. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `pattern` (already written or to come). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code once the process ended. */
  readonly exited: Promise<number | null>;
  /** Sends a signal (SIGINT by default). */
  signal(name?: NodeJS.Signals): void;
}

/** Spawns the built CLI with `args`. */
export function startCli(args: readonly string[]): CliProcess {
  const child = spawn(process.execPath, [buildCli(), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const scan = () => {
    for (const w of [...waiters]) {
      const line = out.split('\n').find((l) => w.pattern.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    scan();
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    signal: (name = 'SIGINT') => {
      child.kill(name);
    },
    waitFor: (pattern, timeoutMs = 15_000) =>
      new Promise<string>((res, rej) => {
        const timer = setTimeout(
          () => rej(new Error(`no line matching ${pattern} in:\n${out}\nstderr:\n${err}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            res(line);
          },
        });
        scan();
        void exited.then(() => {
          scan();
          if (waiters.some((w) => w.pattern === pattern)) {
            clearTimeout(timer);
            rej(new Error(`exited before a line matching ${pattern}:\n${out}\nstderr:\n${err}`));
          }
        });
      }),
  };
}

/** Runs the CLI to completion (for short commands). */
export function runCliSync(args: readonly string[]): {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
} {
  const r = spawnSync(process.execPath, [buildCli(), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The JSON events a `--json` run printed. */
export function jsonEvents(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
