/** The `trucada --help` text and the exit codes every command uses. */
export const EXIT = {
  ok: 0,
  /** The command ran and failed (user exists, daemon already running, ...). */
  failed: 1,
  /** The command line itself is wrong. */
  usage: 2,
  /** The configuration file is wrong (sysexits EX_CONFIG). */
  config: 78,
} as const;

export const USAGE = `Usage: trucada <command> [options]

Commands:
  serve                     run the node (SIP registrar, WebSocket, HTTPS) in the foreground
  user add NAME [--admin]   create an account (asks for the password); --admin: an admin,
                            who approves sign-ups and removes users on the page
  user passwd NAME          change an account's password (drops its registrations)
  user del NAME             delete an account (drops its registrations)
  user list                 list the accounts, marking admins and those waiting for approval
  user admin NAME [--revoke]  make an account an admin (--revoke: no longer one)
  user approve NAME         let in an account signed up on the page (signup approval)
  status                    version, domain, ports, users and current registrations
  peers                     the peer nodes a running node knows: channels, last heard, key

Options:
  --config FILE             UCI configuration file (else $TRUCADA_CONFIG, else /etc/config/trucada
                            when it exists, else built-in defaults with ./data and ./run)
  --password PASSWORD       for user add/passwd in scripts, instead of the prompt
  --json                    status or peers as JSON
  -h, --help                this text
  -v, --version             the version

User names: 1-32 characters of a-z 0-9 . _ - (case does not matter).
`;

export class UsageError extends Error {}

/** The command ran and failed for a reason the user can act on (no stack trace shown). */
export class CommandError extends Error {}
