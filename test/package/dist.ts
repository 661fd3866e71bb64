/**
 * Test helper: make sure dist/ is a build of the current sources before a test runs the examples
 * or packs the package. Builds with `npm run build` when dist is missing or older than src (CI
 * builds before `npm test`, so there nothing is rebuilt). A lock directory keeps two test files
 * from building at once (`npm run build` starts with `rm -rf dist`).
 * Not here: any assertion.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** Absolute path of the repository root (ends with a slash). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const run = promisify(execFile);

function mtimes(path: string, out: number[]): number[] {
  const st = statSync(path);
  if (!st.isDirectory()) {
    out.push(st.mtimeMs);
    return out;
  }
  for (const name of readdirSync(path)) mtimes(join(path, name), out);
  return out;
}

function isStale(): boolean {
  const dist = join(ROOT, 'dist');
  if (!existsSync(join(dist, 'index.js'))) return true;
  const inputs = [
    join(ROOT, 'src'),
    join(ROOT, 'tsconfig.build.json'),
    join(ROOT, 'tsconfig.json'),
  ];
  const newestInput = Math.max(...inputs.flatMap((p) => mtimes(p, [])));
  return newestInput > Math.min(...mtimes(dist, []));
}

// A lock older than this is left over from a killed run.
const STALE_LOCK_MS = 120_000;

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = join(ROOT, 'node_modules', '.cache', 'l2tp-core-build.lock');
  mkdirSync(join(lock, '..'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - since > STALE_LOCK_MS) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Runs `npm run build` unless dist/ is newer than every file under src/. */
export async function ensureBuilt(): Promise<void> {
  await withLock(async () => {
    if (!isStale()) return;
    try {
      await run('npm', ['run', 'build', '--silent'], { cwd: ROOT });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      throw new Error(`npm run build failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
  });
}
