/**
 * Debian's avahi-daemon on a test host, publishing one static service: a responder that is not ours,
 * as on a host beside a mesh router. It runs with D-Bus off and neither chroot nor a drop to the
 * avahi user, on the one interface it is given, with a config file of the test's own.
 *
 * avahi reads static services only from /etc/avahi/services and keeps its pid file in
 * /run/avahi-daemon, and neither has an option; `ip netns exec` gives the command a mount namespace
 * of its own, so the test's directory is bound over the first and a tmpfs over /run there, seen by
 * this avahi alone (another avahi, the machine's or another test's, keeps its own).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export const AVAHI = '/usr/sbin/avahi-daemon';

export const avahiMissing: string | false =
  spawnSync(AVAHI, ['--version'], { timeout: 10_000 }).status !== 0 ? 'avahi-daemon missing (apt-get install avahi-daemon)' : false;

export interface AvahiService {
  /** The instance name. */
  readonly name: string;
  /** e.g. `_trucada._tcp` */
  readonly type: string;
  readonly port: number;
  readonly txt: Readonly<Record<string, string>>;
}

export interface Avahi {
  /** Everything avahi-daemon wrote so far. */
  log(): string;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** avahi-daemon(8) service file, as avahi.service(5) describes it. */
function serviceFile(s: AvahiService): string {
  const txt = Object.entries(s.txt).map(([k, v]) => `    <txt-record>${xml(`${k}=${v}`)}</txt-record>\n`).join('');
  return (
    `<?xml version="1.0" standalone='no'?>\n<!DOCTYPE service-group SYSTEM "avahi-service.dtd">\n<service-group>\n` +
    `  <name>${xml(s.name)}</name>\n  <service>\n    <type>${xml(s.type)}</type>\n    <port>${s.port}</port>\n${txt}  </service>\n</service-group>\n`
  );
}

/** avahi-daemon on `netns`, resolved once it has registered `service` (bounded). */
export function startAvahi(t: Teardown, netns: string, iface: string, service: AvahiService): Promise<Avahi> {
  const dir = mkdtempSync(join(tmpdir(), 'trucada-avahi-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'services'));
  writeFileSync(join(dir, 'services', 'trucada.service'), serviceFile(service));
  const conf = join(dir, 'avahi-daemon.conf');
  writeFileSync(
    conf,
    `[server]\nhost-name=avahi-peer\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=${iface}\nenable-dbus=no\n` +
      `[wide-area]\nenable-wide-area=no\n[publish]\npublish-hinfo=no\npublish-workstation=no\n`,
  );
  const script = `mount --bind "$1" /etc/avahi/services && mount -t tmpfs tmpfs /run && exec ${AVAHI} --no-drop-root --no-chroot --no-rlimits --debug -f "$2"`;
  const proc = spawn('ip', ['netns', 'exec', netns, 'sh', '-c', script, 'avahi', join(dir, 'services'), conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  t.teardown(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`avahi-daemon did not register ${service.name} in 15 s:\n${output}`)), 15_000);
    const read = (d: Buffer) => {
      output += d.toString();
      if (output.includes(`Service "${service.name}" (${join('/etc/avahi/services', 'trucada.service')}) successfully established.`)) {
        clearTimeout(timer);
        resolve({ log: () => output });
      }
    };
    proc.stdout.on('data', read);
    proc.stderr.on('data', read);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`avahi-daemon exited with ${code}:\n${output}`));
    });
  });
}
