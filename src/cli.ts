/** The `trucada` command: finds the configuration the same way for every subcommand, then runs it. */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseCliArgs } from './cli/args.js';
import { serveCommand } from './cli/serve-command.js';
import { statusCommand } from './cli/status-command.js';
import { CommandError, EXIT, USAGE, UsageError } from './cli/usage.js';
import { userCommand } from './cli/user-command.js';
import { loadOrLastGood } from './config/last-good.js';
import { createLogger } from './log.js';
import { peersCommand } from './cli/peers-command.js';
import { ConfigError } from './config/errors.js';
import { CertificateError } from './http/certificate.js';
import { findConfigPath, loadConfig } from './config/load.js';
import { StoreError } from './store/store-error.js';
import { VERSION } from './version.js';

async function run(argv: string[]): Promise<number> {
  const args = parseCliArgs(argv);
  if (args.help) {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (args.version) {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const [command, ...rest] = args.words;
  if (command === undefined) throw new UsageError('a command is needed');
  const path = findConfigPath({ config: args.config }, process.env, existsSync);
  // The node starts even from a file a power cut tore (config/last-good.ts); the other commands say what is wrong.
  const config = command === 'serve' ? loadOrLastGood({ path, hostname: hostname() }, createLogger('info')) : loadConfig({ path, hostname: hostname() });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  switch (command) {
    case 'serve':
      if (rest.length > 0) throw new UsageError(`serve takes no argument '${rest[0]}'`);
      return serveCommand(config);
    case 'user':
      return userCommand(config, rest, { out, password: args.password, admin: args.admin, revoke: args.revoke });
    case 'status':
      return statusCommand(config, args.json, out);
    case 'peers':
      if (rest.length > 0) throw new UsageError(`peers takes no argument '${rest[0]}'`);
      return peersCommand(config, args.json, out, (line) => process.stderr.write(`trucada: ${line}\n`));
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`trucada: ${err.message}\n\n${USAGE}`);
      process.exitCode = EXIT.usage;
    } else if (err instanceof ConfigError) {
      process.stderr.write(`trucada: ${err.message}\n`);
      process.exitCode = EXIT.config;
    } else if (err instanceof StoreError || err instanceof CertificateError || err instanceof CommandError) {
      process.stderr.write(`trucada: ${err.message}\n`);
      process.exitCode = EXIT.failed;
    } else {
      process.stderr.write(`trucada: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = EXIT.failed;
    }
  },
);
