import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { StreamFramer, type FramerEvent } from '../../src/sip/stream-framer.js';
import { DEFAULT_LIMITS, type ParseLimits } from '../../src/sip/limits.js';
import { parseMessage } from '../../src/sip/parser.js';
import { serializeMessage } from '../../src/sip/serializer.js';

const dir = new URL('../fixtures/sip/', import.meta.url);
// Serialised again so every message carries a Content-Length, as a stream requires (RFC 3261 §18.3).
const messages = readdirSync(dir)
  .filter((f) => f.startsWith('valid-') && f.endsWith('.sip'))
  .sort()
  .map((f) => serializeMessage(parseMessage(readFileSync(new URL(f, dir)))));

/** Push `data` cut into pieces of the given sizes (cycled), collecting every event. */
function feed(data: Buffer, sizes: number[], limits: ParseLimits = DEFAULT_LIMITS): FramerEvent[] {
  const framer = new StreamFramer(limits);
  const events: FramerEvent[] = [];
  for (let at = 0, k = 0; at < data.length; k++) {
    const size = sizes[k % sizes.length]!;
    events.push(...framer.push(data.subarray(at, at + size)));
    at += size;
  }
  return events;
}

const summary = (events: FramerEvent[]) =>
  events.map((e) => (e.type === 'message' ? e.data.toString('latin1') : e.type === 'error' ? `error:${e.error.code}` : e.type));

t.test('several messages in one chunk come out whole and in order', async (t) => {
  const events = feed(Buffer.concat(messages), [1 << 30]);
  t.same(summary(events), messages.map((m) => m.toString('latin1')));
});

t.test('the same messages split at every byte, and in odd sizes', async (t) => {
  const stream = Buffer.concat(messages);
  const expected = messages.map((m) => m.toString('latin1'));
  t.same(summary(feed(stream, [1])), expected, 'one byte at a time');
  t.same(summary(feed(stream, [3, 7, 1, 250, 2])), expected, 'mixed sizes');
});

t.test('a pair of messages split at every possible point', async (t) => {
  const pair = Buffer.concat([messages[0]!, messages[1]!]);
  const expected = [messages[0]!.toString('latin1'), messages[1]!.toString('latin1')];
  for (let cut = 1; cut < pair.length; cut++) {
    const framer = new StreamFramer(DEFAULT_LIMITS);
    const events = [...framer.push(pair.subarray(0, cut)), ...framer.push(pair.subarray(cut))];
    if (JSON.stringify(summary(events)) !== JSON.stringify(expected)) {
      t.fail(`cut at ${cut}`);
      return;
    }
  }
  t.pass('every cut gives the same two messages');
});

t.test('CRLF keep-alives (RFC 5626 §3.5.1) between messages', async (t) => {
  const msg = messages[0]!;
  t.same(summary(feed(Buffer.from('\r\n\r\n'), [4])), ['ping']);
  t.same(summary(feed(Buffer.from('\r\n'), [2])), ['pong']);
  t.same(summary(feed(Buffer.from('\r\n\r\n\r\n\r\n'), [8])), ['ping', 'ping']);
  t.same(summary(feed(Buffer.from('\r\n\r\n'), [2])), ['pong', 'ping'], 'a ping split in halves is still answered');
  t.same(summary(feed(Buffer.from('\r\n\r\n'), [1])), ['pong', 'ping'], 'split at every byte');
  t.same(summary(feed(Buffer.from('\r\n\r\n'), [3, 1])), ['ping'], 'split after CR LF CR');
  t.same(summary(feed(Buffer.concat([Buffer.from('\r\n'), msg, Buffer.from('\r\n\r\n'), msg]), [1 << 20])),
    ['pong', msg.toString('latin1'), 'ping', msg.toString('latin1')]);
  t.same(summary(feed(Buffer.concat([Buffer.from('\n\n'), msg]), [1 << 20])), [msg.toString('latin1')], 'bare LFs before a message ignored');
});

t.test('oversized messages are refused before the body arrives', async (t) => {
  const limits = { ...DEFAULT_LIMITS, maxMessageSize: 1000 };
  const head = 'MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 5000\r\n\r\n';
  const framer = new StreamFramer(limits);
  const events = framer.push(Buffer.from(head));
  t.same(summary(events), ['error:TOO_LARGE'], 'refused on the header section alone');
  t.equal(events[0]!.type === 'error' && events[0].error.reason, 'Message too large');
  t.same(framer.push(Buffer.alloc(100, 0x41)), [], 'the stream stays failed');

  const endless = new StreamFramer(limits);
  let refused: FramerEvent[] = [];
  let sent = Buffer.from('OPTIONS sip:a@b SIP/2.0\r\n').length;
  endless.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\n'));
  while (refused.length === 0 && sent < 10_000) {
    refused = endless.push(Buffer.from('X-Pad: 0123456789\r\n'));
    sent += 19;
  }
  t.same(summary(refused), ['error:TOO_LARGE']);
  t.ok(sent <= 1000 + 19, 'refused as soon as the header section passes the limit');

  const long = new StreamFramer({ ...DEFAULT_LIMITS, maxLineLength: 100 });
  t.same(summary(long.push(Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nX: ${'y'.repeat(120)}`))), ['error:LINE_TOO_LONG'], 'no line end needed');
});

t.test('a stream message must say its length', async (t) => {
  const noLength = 'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\r\n';
  t.same(summary(feed(Buffer.from(noLength), [1 << 20])), ['error:MISSING_CONTENT_LENGTH']);
  const bad = 'OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 4\r\nl: 5\r\n\r\nbody!';
  t.same(summary(feed(Buffer.from(bad), [1 << 20])), ['error:BAD_CONTENT_LENGTH']);
  const folded = 'MESSAGE sip:a@b SIP/2.0\r\nl:\r\n 4\r\n\r\nbodyNEXT';
  t.same(summary(feed(Buffer.from(folded), [1 << 20])), ['MESSAGE sip:a@b SIP/2.0\r\nl:\r\n 4\r\n\r\nbody'], 'compact and folded');
});

t.test('linear work: a large message pushed one byte at a time, many small ones in one chunk', async (t) => {
  const big = Buffer.from(`MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 64000\r\n\r\n${'b'.repeat(64000)}`);
  let started = performance.now();
  const events = feed(big, [1]);
  t.equal(events.length, 1);
  t.ok(performance.now() - started < 3000, 'byte by byte in linear time');
  const small = Buffer.concat(Array.from({ length: 20_000 }, () => messages[0]!));
  started = performance.now();
  t.equal(feed(small, [small.length]).length, 20_000);
  t.ok(performance.now() - started < 5000, 'many messages in one chunk');
});

/** The one error a framing failure reports. */
function errorOf(events: FramerEvent[]) {
  const e = events[0];
  if (events.length !== 1 || e?.type !== 'error') throw new Error(`expected one error, got ${JSON.stringify(summary(events))}`);
  return e.error;
}

t.test('a framing error carries the header section as partial where it could be read', async (t) => {
  const head = (extra: string) =>
    'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nFrom: <sip:x@b>;tag=1\r\nTo: <sip:a@b>\r\n' +
    `Call-ID: c1\r\nCSeq: 1 OPTIONS\r\n${extra}\r\n`;

  const missing = errorOf(feed(Buffer.from(head('')), [7]));
  t.equal(missing.code, 'MISSING_CONTENT_LENGTH');
  t.equal(missing.status, 400);
  t.match(missing.partial, { kind: 'request', method: 'OPTIONS', uri: 'sip:a@b' });
  t.equal(missing.partial?.headers.get('call-id'), 'c1');
  t.equal(missing.partial?.headers.getAll('via')[0], 'SIP/2.0/TCP h;branch=z9hG4bK1');

  const bad = errorOf(feed(Buffer.from(head('Content-Length: 4\r\nl: 5\r\n')), [1 << 20]));
  t.equal(bad.code, 'BAD_CONTENT_LENGTH');
  t.match(bad.partial, { kind: 'request', method: 'OPTIONS' }, 'a partial from the parser’s own error');

  const large = errorOf(new StreamFramer({ ...DEFAULT_LIMITS, maxMessageSize: 1000 }).push(Buffer.from(head('Content-Length: 5000\r\n'))));
  t.equal(large.code, 'TOO_LARGE');
  t.equal(large.status, 513);
  t.match(large.partial, { kind: 'request', method: 'OPTIONS' }, 'the head within the limit is readable');

  const incomplete = errorOf(feed(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n'), [1 << 20]));
  t.equal(incomplete.code, 'MISSING_CONTENT_LENGTH');
  t.match(incomplete.partial, { kind: 'request', method: 'OPTIONS' }, 'missing mandatory headers still leave a partial');
});

t.test('a framing error has no partial where the header section cannot be read', async (t) => {
  const badStart = errorOf(feed(Buffer.from('not a start line\r\nVia: x\r\n\r\n'), [1 << 20]));
  t.equal(badStart.code, 'MISSING_CONTENT_LENGTH');
  t.equal(badStart.partial, undefined, 'a start line that does not parse');

  const nul = errorOf(feed(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nX: a\x00b\r\n\r\n'), [1 << 20]));
  t.equal(nul.partial, undefined, 'a head the parser refuses before the start line is known');

  const long = errorOf(new StreamFramer({ ...DEFAULT_LIMITS, maxLineLength: 100 }).push(Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nX: ${'y'.repeat(120)}`)));
  t.equal(long.code, 'LINE_TOO_LONG');
  t.equal(long.partial, undefined, 'the header section never ended');

  const limits = { ...DEFAULT_LIMITS, maxMessageSize: 200 };
  const framer = new StreamFramer(limits);
  const oversizedHead = `OPTIONS sip:a@b SIP/2.0\r\nX-Pad: ${'p'.repeat(300)}\r\nContent-Length: 0\r\n\r\n`;
  const huge = errorOf(framer.push(Buffer.from(oversizedHead)));
  t.equal(huge.code, 'TOO_LARGE');
  t.equal(huge.partial, undefined, 'a header section past maxMessageSize is not parsed');
});
