/**
 * Real Linphone (Debian's `linphone-cli` 5.1, its `linphone-daemon`) as a phone of a test node:
 * one process per phone, registered as one user over UDP or TCP, driven through the daemon's
 * command interface on stdin and read back from what it prints and from its own log file.
 *
 * Why the daemon and not `linphonec`: it answers every command with `Status: Ok|Error` and a
 * `Key: value` block, and prints call and message events in the same form as they happen, so a
 * test reads states instead of matching console sentences.
 *
 * What this Linphone build does, and how the helper lives with it:
 *   - With no sound card (none here: ALSA and PulseAudio are pointed at nothing, so a desktop with
 *     speakers behaves the same), Linphone wires each call to its file player and file recorder.
 *     The daemon has no command to give the recorder a file, so what a phone hears is read from
 *     its RTP rates (below). `incall-player-start` plays a WAV into the call; the player crashes
 *     the daemon (SIGSEGV) when the file ends, so the tone written here outlasts any test call.
 *   - `call-stats` crashes the daemon too; RTP is read from the log's once-a-second
 *     `Bandwidth usage ... RTP : [d=<kbit/s>,u=<kbit/s>]` lines instead.
 *   - No event is printed for registrations: `register-status` is polled.
 *   - Over TCP it puts its connection's own ephemeral port in its Contact (learned from `rport`),
 *     not the port it listens on.
 *   - `quit` aborts in a C++ exception at exit; the process is ended with a signal.
 *
 * Each phone has its own HOME and configuration in a temporary directory, fixed ports found free
 * for SIP and RTP, its outbound proxy and route set to the node on 127.0.0.1 (so nothing is looked
 * up in DNS), every socket bound to 127.0.0.1, no STUN, ICE, IPv6, video, version check or
 * provisioning, and no network monitor (it probes the default route every few seconds). When it
 * places a call Linphone still connect()s a UDP socket to 87.98.157.38 and 2a00:1450:8002::68 to
 * learn its default local address; that sends nothing (strace shows no packet but to 127.0.0.1).
 * Everything is removed when the test ends. Every wait is bounded.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Binding } from '../../src/location/binding.js';
import { freePorts } from './ports.js';
import { until, within } from './sip-ua.js';
import { TEST_DOMAIN, type TestNode } from './test-node.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface LinphoneOptions {
  user: string;
  password: string;
  transport: 'udp' | 'tcp';
}

/** One `Key: value` block the daemon printed: a command's answer or an event. */
type Fields = Record<string, string>;

interface DaemonEvent {
  type: string;
  fields: Fields;
}

/** Call states as the daemon names them, without the `LinphoneCall` prefix. */
export type CallState =
  | 'OutgoingInit'
  | 'OutgoingProgress'
  | 'OutgoingRinging'
  | 'IncomingReceived'
  | 'Connected'
  | 'StreamsRunning'
  | 'End'
  | 'Error'
  | 'Released';

/** One of the log's once-a-second media rates, kbit/s down (received) and up (sent). */
export interface RtpRate {
  down: number;
  up: number;
}

const PROMPT = 'daemon-linphone>';
/** A log entry starts with its time stamp; the lines after it (a SIP message, stats) belong to it. */
const ENTRY_START = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3} /m;

/** An even port whose next port is free too: RTP on it, RTCP on the next one. */
async function freeRtpPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const [port] = await freePorts(1);
    const rtp = port! - (port! % 2);
    const free = await Promise.all([rtp, rtp + 1].map((p) => udpFree(p)));
    if (free.every(Boolean)) return rtp;
  }
  throw new Error('no free RTP/RTCP port pair');
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind({ address: '127.0.0.1', port, exclusive: true }, () => socket.close(() => resolve(true)));
  });
}

/** A 440 Hz tone, 8 kHz 16-bit mono PCM WAV, `seconds` long. */
function writeTone(path: string, seconds: number): void {
  const rate = 8000;
  const samples = rate * seconds;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) wav.writeInt16LE(Math.round(12000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  writeFileSync(path, wav);
}

function linphoneRc(o: LinphoneOptions & { node: TestNode; sipPort: number; rtpPort: number; instance: string }): string {
  const proxy = `sip:127.0.0.1:${o.node.config.sipPort};transport=${o.transport}`;
  return `[sip]
sip_port=${o.transport === 'udp' ? o.sipPort : 0}
sip_tcp_port=${o.transport === 'tcp' ? o.sipPort : 0}
sip_tls_port=0
bind_address=127.0.0.1
use_ipv6=0
guess_hostname=0
register_only_when_network_is_up=0
auto_net_state_mon=0
default_proxy=0

[rtp]
audio_rtp_port=${o.rtpPort}
bind_address=127.0.0.1

[video]
enabled=0
capture=0
display=0

[sound]
echocancellation=0

[net]
firewall_policy=0
stun_server=

[misc]
uuid=${o.instance}
version_check_url_root=

[proxy_0]
reg_proxy=<${proxy}>
reg_route=<${proxy};lr>
reg_identity=<sip:${o.user}@${TEST_DOMAIN}>
reg_expires=600
reg_sendregister=1
publish=0

[auth_info_0]
username=${o.user}
passwd=${o.password}
domain=${TEST_DOMAIN}
`;
}

export class Linphone {
  /** Every event printed so far, in order. */
  private readonly events: DaemonEvent[] = [];
  /** The block lines go to: the pending command's answer or the last event. */
  private current: Fields | undefined;
  private output = '';
  private reply: { line: string; status?: string; fields: Fields; done(r: { status: string; fields: Fields }): void } | undefined;
  private commands: Promise<unknown> = Promise.resolve();
  private incomingHandedOut = 0;
  private logOffset = 0;
  private logTail = '';
  private readonly sipIn: string[] = [];
  private readonly rates: RtpRate[] = [];
  private readonly exited: Promise<void>;
  private stderr = '';

  private constructor(
    readonly options: LinphoneOptions,
    /** The port Linphone listens on for SIP (UDP or TCP, as `options.transport`). */
    readonly sipPort: number,
    /** `+sip.instance` of its Contact, which tells its binding from the user's others. */
    readonly instance: string,
    private readonly node: TestNode,
    private readonly dir: string,
    private readonly child: ReturnType<typeof spawn>,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.read(chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-4000)));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** A Linphone of `options.user`, registered with `node` (and bound there) when this resolves. */
  static async start(t: Teardown, node: TestNode, options: LinphoneOptions): Promise<Linphone> {
    const dir = mkdtempSync(join(tmpdir(), 'trucada-linphone-'));
    let phone: Linphone | undefined;
    t.teardown(async () => {
      await phone?.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    // Linphone keeps its chat and call database here; without the directory it logs an error per start.
    mkdirSync(join(dir, '.local', 'share', 'linphone'), { recursive: true });
    writeFileSync(join(dir, 'no-alsa.conf'), '');
    writeTone(join(dir, 'tone.wav'), 30);
    const [sipPort] = await freePorts(1);
    const rtpPort = await freeRtpPort();
    const instance = randomUUID();
    writeFileSync(join(dir, 'linphonerc'), linphoneRc({ ...options, node, sipPort: sipPort!, rtpPort, instance }));
    const child = spawn(
      'linphone-daemon',
      ['--config', join(dir, 'linphonerc'), '--log', join(dir, 'linphone.log'), '--disable-stats-events'],
      {
        cwd: dir,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH,
          HOME: dir,
          // No sound server and no ALSA device, whatever the machine has: the file player and
          // recorder take their place, and a test never plays through real speakers.
          PULSE_SERVER: `unix:${join(dir, 'no-pulse')}`,
          ALSA_CONFIG_PATH: join(dir, 'no-alsa.conf'),
        },
      },
    );
    phone = new Linphone(options, sipPort!, `<urn:uuid:${instance}>`, node, dir, child);
    await phone.registered();
    return phone;
  }

  get user(): string {
    return this.options.user;
  }

  /** This phone's binding at the node, if it has one. */
  binding(): Binding | undefined {
    return this.node.node.location.lookup(this.user).find((b) => b.instance === this.instance);
  }

  /** Place a call to `user` of the test domain; its call id. */
  async call(user: string): Promise<number> {
    return Number((await this.command(`call sip:${user}@${TEST_DOMAIN}`)).Id);
  }

  /** The id of the next incoming call not handed out yet, once it rings. */
  async incomingCall(ms?: number): Promise<number> {
    const ringing = () => this.events.filter((e) => e.fields.Event === 'LinphoneCallIncomingReceived' && e.fields.Id);
    await until(() => ringing().length > this.incomingHandedOut, `${this.name} to ring`, ms);
    return Number(ringing()[this.incomingHandedOut++]!.fields.Id);
  }

  async answer(id: number): Promise<void> {
    await this.command(`answer ${id}`);
  }

  async terminate(id: number): Promise<void> {
    await this.command(`terminate ${id}`);
  }

  /** Play the tone into the call, as its microphone would. */
  async playTone(id: number): Promise<void> {
    await this.command(`incall-player-start ${join(this.dir, 'tone.wav')} ${id}`);
  }

  /** Every state call `id` went through, in order. */
  callStates(id: number): CallState[] {
    return this.events
      .filter((e) => e.type === 'call-state-changed' && e.fields.Id === String(id))
      .map((e) => (e.fields.Event ?? '').replace(/^LinphoneCall/, '') as CallState);
  }

  async waitCallState(id: number, state: CallState, ms?: number): Promise<void> {
    await until(() => this.callStates(id).includes(state), `${this.name}'s call ${id} to reach ${state}`, ms);
  }

  /** Send a MESSAGE with `text` to `user`; its message id. */
  async sendMessage(user: string, text: string): Promise<string> {
    return (await this.command(`message sip:${user}@${TEST_DOMAIN} ${text}`)).Id!;
  }

  /** Every state message `id` went through, without the `LinphoneChatMessageState` prefix. */
  messageStates(id: string): string[] {
    return this.events
      .filter((e) => e.type === 'message-state-changed' && e.fields.Id === id)
      .map((e) => (e.fields.State ?? '').replace(/^LinphoneChatMessageState/, ''));
  }

  async waitMessageState(id: string, state: string, ms?: number): Promise<void> {
    await until(() => this.messageStates(id).includes(state), `${this.name}'s message ${id} to be ${state}`, ms);
  }

  /** The sender of the first MESSAGE received with exactly `text`, once it has arrived. */
  async waitMessage(text: string, ms?: number): Promise<string> {
    const found = () => this.events.find((e) => e.type === 'message-received' && e.fields.Content === text);
    await until(() => found() !== undefined, `${this.name} to receive "${text}"`, ms);
    return found()!.fields.From!;
  }

  /** Every SIP message Linphone received so far, as text (from its log). */
  receivedSip(): string[] {
    this.readLog();
    return [...this.sipIn];
  }

  /** The media rates Linphone logged so far, one a second during calls. */
  rtpRates(): RtpRate[] {
    this.readLog();
    return [...this.rates];
  }

  /** SIGKILL: Linphone says nothing (no un-REGISTER, no BYE); the kernel closes its sockets. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await within(this.exited, `${this.name} to exit`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await within(this.exited, `${this.name} to exit`).catch(() => this.kill());
  }

  private get name(): string {
    return `${this.user}'s Linphone (${this.options.transport.toUpperCase()})`;
  }

  private async registered(): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const status = await this.command('register-status ALL');
      if (status.State === 'LinphoneRegistrationOk') break;
      if (Date.now() > deadline) throw new Error(`${this.name} did not register: ${status.State}\n${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await until(() => this.binding() !== undefined, `the node to bind ${this.name}`);
  }

  /** Run one daemon command, one at a time; its answer's fields, or a rejection on `Status: Error`. */
  private command(line: string, ms = 5000): Promise<Fields> {
    const run = async () => {
      const answer = new Promise<{ status: string; fields: Fields }>((done) => (this.reply = { line, fields: {}, done }));
      this.child.stdin!.write(`${line}\n`);
      const { status, fields } = await within(answer, `${this.name} to answer "${line}"`, ms);
      if (status !== 'Ok') throw new Error(`${this.name} refused "${line}": ${fields.Reason ?? status}`);
      return fields;
    };
    const result = this.commands.then(run, run);
    this.commands = result.catch(() => undefined);
    return result;
  }

  /**
   * The daemon prints its prompt (no newline) when it waits for a command, echoes the command,
   * then `Status: ...` and the answer's `Key: value` lines; events start with `Event-type: ...`
   * and may come between an answer and the next prompt. An answer is complete at the next prompt
   * or event.
   */
  private read(chunk: string): void {
    this.output += chunk;
    for (;;) {
      if (this.output.startsWith(PROMPT)) {
        this.output = this.output.slice(PROMPT.length);
        this.finishReply();
        continue;
      }
      const end = this.output.indexOf('\n');
      if (end < 0) return;
      const line = this.output.slice(0, end);
      this.output = this.output.slice(end + 1);
      this.readLine(line);
    }
  }

  private readLine(line: string): void {
    if (this.reply && line === this.reply.line) return;
    const m = /^([A-Za-z-]+): ?(.*)$/.exec(line);
    if (!m) return;
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'Status' && this.reply) {
      this.reply.status = value;
      this.current = this.reply.fields;
    } else if (key === 'Event-type') {
      this.finishReply();
      const event = { type: value, fields: {} };
      this.events.push(event);
      this.current = event.fields;
    } else if (this.current) {
      // Message texts come quoted: `Content: "hello"`.
      this.current[key] = key === 'Content' ? value.replace(/^"(.*)"$/, '$1') : value;
    }
  }

  private finishReply(): void {
    const reply = this.reply;
    if (!reply?.status) return;
    this.reply = undefined;
    this.current = undefined;
    reply.done({ status: reply.status, fields: reply.fields });
  }

  /** Take in what the log gained since the last read: SIP messages received and media rates. */
  private readLog(): void {
    let fd: number;
    try {
      fd = openSync(join(this.dir, 'linphone.log'), 'r');
    } catch {
      return;
    }
    try {
      const buffer = Buffer.alloc(1 << 16);
      let n: number;
      while ((n = readSync(fd, buffer, 0, buffer.length, this.logOffset)) > 0) {
        this.logOffset += n;
        this.logTail += buffer.toString('latin1', 0, n);
      }
    } finally {
      closeSync(fd);
    }
    // The last entry may still be growing: keep it until the next one starts.
    const entries = this.logTail.split(ENTRY_START);
    this.logTail = entries.pop() ?? '';
    for (const entry of entries) {
      const sip = /received \[\d+\] new bytes from \[[^\]]+\]:\r?\n([\s\S]*)$/.exec(entry);
      if (sip) this.sipIn.push(sip[1]!);
      const rate = /Bandwidth usage for CallSession[\s\S]*?RTP : \[d=([\d.]+),u=([\d.]+)\]/.exec(entry);
      if (rate) this.rates.push({ down: Number(rate[1]), up: Number(rate[2]) });
    }
  }
}
