/**
 * A SIP.js phone in a process of its own, run by netns-phone.ts on a test host: the test's own
 * process is not in that network namespace and cannot reach the node there. argv[2] is the phone's
 * SipJsPhoneOptions as JSON. It takes one JSON command a line on stdin, each with an `id`, and
 * answers each with `{"id":N,...}` on stdout; what happens unasked (an incoming call, which it
 * answers, its end, a MESSAGE, which it accepts) goes out as `{"event":...}` lines.
 *
 *   {"id":1,"cmd":"register"}                      → {"id":1,"ok":true}
 *   {"id":2,"cmd":"call","target":"sip:bob@x"}     → {"id":2,"status":200,"reason":"OK"}, once established
 *   {"id":3,"cmd":"hangup"}                        → {"id":3,"status":200} (the BYE's answer)
 *   {"id":4,"cmd":"message","target":..,"body":..} → {"id":4,"status":202}
 */
import { createInterface } from 'node:readline';
import { Messager, SessionState, UserAgent, type Session } from 'sip.js';
import { finalStatus, hangUp, reaches, startSipJsPhone, type SipJsPhoneOptions } from './sipjs-phone.js';
import { installSipWebSocket } from './ws-for-sip-clients.js';

type Command = { id: number; cmd: 'register' } | { id: number; cmd: 'call'; target: string } | { id: number; cmd: 'hangup' } | { id: number; cmd: 'message'; target: string; body: string };

const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
const options = JSON.parse(process.argv[2]!) as SipJsPhoneOptions;
const cleanups: Array<() => unknown> = [];
// The helpers take a test's scope; this process is its own, and always reports rather than fails.
const scope = { teardown: (fn: () => unknown) => void cleanups.push(fn), passing: () => true };
const phone = await startSipJsPhone(scope, installSipWebSocket(scope), options);
let session: Session | undefined;

function follow(s: Session): void {
  session = s;
  s.stateChange.addListener((state) => {
    if (state === SessionState.Established) say({ event: 'established' });
    if (state === SessionState.Terminated) say({ event: 'terminated' });
  });
}

phone.ua.delegate = {
  onInvite: (invitation) => {
    say({ event: 'invite', from: invitation.remoteIdentity.uri.toString() });
    follow(invitation);
    void invitation.accept();
  },
  onMessage: (message) => {
    say({ event: 'message', from: message.request.from.uri.toString(), body: message.request.body });
    void message.accept();
  },
};

async function run(c: Command): Promise<object> {
  switch (c.cmd) {
    case 'register':
      await phone.register();
      return { ok: true };
    case 'call': {
      const { inviter, final } = phone.call(c.target);
      follow(inviter);
      const outcome = await final;
      if (outcome.status === 200) await reaches(inviter, SessionState.Established, 'the call to be established');
      return outcome;
    }
    case 'hangup':
      if (session === undefined) throw new Error('no call to hang up');
      return { status: await hangUp(session) };
    case 'message': {
      const messager = new Messager(phone.ua, UserAgent.makeURI(c.target)!, c.body, 'text/plain');
      return { status: await finalStatus((requestDelegate) => messager.message({ requestDelegate }), `the MESSAGE to ${c.target} to be answered`) };
    }
  }
}

say({ event: 'ready' });
createInterface({ input: process.stdin })
  .on('line', (line) => {
    const c = JSON.parse(line) as Command;
    run(c).then(
      (reply) => say({ id: c.id, ...reply }),
      (err: Error) => say({ id: c.id, error: err.message }),
    );
  })
  .on('close', () => {
    void Promise.all(cleanups.reverse().map((fn) => fn())).finally(() => process.exit(0));
  });
