/**
 * Command-line parsing for every `l2tp-core` command. node:util parseArgs leaks messages such as
 * "argument is ambiguous" and takes `--secret --json` as a secret, so the few rules the commands
 * need are here, with plain messages: `--name value`, `--name=value`, grouped boolean short flags
 * (`-vh`), `-` as a positional, `--` ending the options.
 * Not here: what an option's value means (run.ts, main.ts).
 */

/** A usage error: printed with a pointer to the command's help, exit code 2. */
export class CliUsage extends Error {}

/** How one option is written and what it takes. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** One-letter alias (`-h`); boolean options only. */
  readonly short?: string;
  /** Collects every occurrence into an array. */
  readonly multiple?: boolean;
  /** The value of a string option given without one (`--hide` alone); otherwise it needs one. */
  readonly valueIfAbsent?: string;
}

/** Parsed values: true for booleans, a string (or strings with `multiple`), absent when not given. */
export type ArgValues = Record<string, string | boolean | string[] | undefined>;

/** What {@link parseCommandArgs} returns. */
export interface ParsedArgs {
  readonly values: ArgValues;
  readonly positionals: string[];
}

/** True when `args` asks for help (before any `--`), even if the rest does not parse. */
export function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length] as number;
}

function unknownOption(raw: string, specs: Readonly<Record<string, OptionSpec>>): CliUsage {
  const name = raw.replace(/^-+/, '');
  const near = Object.keys(specs)
    .map((k) => ({ k, d: k.startsWith(name) && name.length >= 2 ? 0 : distance(name, k) }))
    .filter((x) => x.d <= 2)
    .sort((x, y) => x.d - y.d)[0];
  return new CliUsage(`unknown option ${raw}${near ? ` (did you mean --${near.k}?)` : ''}`);
}

/**
 * Parses `args` against `specs`. Repeated options keep the last value unless `multiple`.
 * @throws CliUsage with a plain message: unknown option (with a close match), missing value,
 *   a value given to a boolean, a positional where none is taken.
 */
export function parseCommandArgs(
  args: readonly string[],
  specs: Readonly<Record<string, OptionSpec>>,
  allowPositionals: boolean,
): ParsedArgs {
  const values: ArgValues = {};
  const positionals: string[] = [];
  const shorts = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) if (spec.short) shorts.set(spec.short, name);
  const set = (name: string, value: string | boolean) => {
    const spec = specs[name] as OptionSpec;
    if (spec.multiple) {
      const list = (values[name] as string[] | undefined) ?? [];
      list.push(value as string);
      values[name] = list;
    } else values[name] = value;
  };
  const positional = (a: string) => {
    if (!allowPositionals) throw new CliUsage(`unexpected argument: ${a}`);
    positionals.push(a);
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') {
      for (const rest of args.slice(i + 1)) positional(rest);
      break;
    }
    if (a === '-' || !a.startsWith('-')) {
      positional(a);
      continue;
    }
    if (!a.startsWith('--')) {
      // Grouped one-letter booleans: -v, -vh.
      for (const letter of a.slice(1)) {
        const name = shorts.get(letter);
        if (name === undefined) throw unknownOption(`-${letter}`, specs);
        set(name, true);
      }
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[name];
    if (spec === undefined) throw unknownOption(`--${name}`, specs);
    if (spec.type === 'boolean') {
      if (eq >= 0) throw new CliUsage(`--${name} takes no value`);
      set(name, true);
      continue;
    }
    if (eq >= 0) {
      set(name, a.slice(eq + 1));
      continue;
    }
    const next = args[i + 1];
    if (next !== undefined && (next === '-' || !next.startsWith('-'))) {
      set(name, next);
      i++;
    } else if (spec.valueIfAbsent !== undefined) {
      set(name, spec.valueIfAbsent);
    } else if (next === undefined || next === '--') {
      throw new CliUsage(`--${name} needs a value`);
    } else {
      throw new CliUsage(
        `--${name} needs a value, not the option ${next} (for a value starting with '-', write --${name}=${next})`,
      );
    }
  }
  return { values, positionals };
}
