/**
 * The CLI's argument parser (src/cli/args.ts): the forms every command accepts, and the plain
 * messages it gives instead of node:util parseArgs' ones.
 */
import { describe, expect, it } from 'vitest';
import { CliUsage, type OptionSpec, parseCommandArgs, wantsHelp } from '../../src/cli/args.js';

const SPECS: Record<string, OptionSpec> = {
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
  secret: { type: 'string' },
  port: { type: 'string', multiple: true },
  hide: { type: 'string', valueIfAbsent: 'default' },
};

const parse = (args: string[], positionals = true) => parseCommandArgs(args, SPECS, positionals);

describe('parseCommandArgs', () => {
  it('reads --name value, --name=value, grouped short flags, repeats and positionals', () => {
    expect(
      parse(['-vh', '--secret', 's', '--port=1', '--port', '2', 'a', '-', '--', '--secret']),
    ).toEqual({
      values: { verbose: true, help: true, secret: 's', port: ['1', '2'] },
      positionals: ['a', '-', '--secret'],
    });
    expect(parse(['--secret=-x', '--secret', 'last']).values.secret).toBe('last');
    expect(parse(['--secret='])).toEqual({ values: { secret: '' }, positionals: [] });
  });

  it('an option with a value-if-absent takes it when the next word is an option or nothing', () => {
    expect(parse(['--hide']).values.hide).toBe('default');
    expect(parse(['--hide', '-v']).values).toEqual({ hide: 'default', verbose: true });
    expect(parse(['--hide', 'a,b']).values.hide).toBe('a,b');
  });

  it.each([
    [['--secret'], '--secret needs a value'],
    [['--secret', '--'], '--secret needs a value'],
    [
      ['--secret', '-v'],
      "--secret needs a value, not the option -v (for a value starting with '-', write --secret=-v)",
    ],
    [['--verbose=1'], '--verbose takes no value'],
    [['--secrte', 'x'], 'unknown option --secrte (did you mean --secret?)'],
    [['--sec', 'x'], 'unknown option --sec (did you mean --secret?)'],
    [['--zzzzzz'], 'unknown option --zzzzzz'],
    [['-vx'], 'unknown option -x'],
  ])('%j → %s', (args, message) => {
    let err: unknown;
    try {
      parse(args);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CliUsage);
    expect((err as Error).message).toBe(message);
  });

  it('refuses positionals where the command takes none', () => {
    expect(() => parse(['x'], false)).toThrow('unexpected argument: x');
    expect(() => parse(['--', '--help'], false)).toThrow('unexpected argument: --help');
  });
});

describe('wantsHelp', () => {
  it('sees -h / --help anywhere before --', () => {
    expect(wantsHelp(['--bogus', '-h'])).toBe(true);
    expect(wantsHelp(['--help'])).toBe(true);
    expect(wantsHelp(['--', '--help'])).toBe(false);
    expect(wantsHelp(['-vh'])).toBe(false); // grouped: parsed, then help is honoured
  });
});
