/** Command-line parsing: the positional words and the few options every command shares. */
import { parseArgs } from 'node:util';
import { UsageError } from './usage.js';

export interface CliArgs {
  words: string[];
  config?: string;
  password?: string;
  admin: boolean;
  revoke: boolean;
  json: boolean;
  help: boolean;
  version: boolean;
}

export function parseCliArgs(argv: string[]): CliArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string' },
        password: { type: 'string' },
        admin: { type: 'boolean', default: false },
        revoke: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
    return {
      words: positionals,
      config: values.config,
      password: values.password,
      admin: values.admin ?? false,
      revoke: values.revoke ?? false,
      json: values.json ?? false,
      help: values.help ?? false,
      version: values.version ?? false,
    };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
