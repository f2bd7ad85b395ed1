import t, { type Test } from 'tap';
import { type Head, readHead, readHeadExact, readPlainHead } from '../../src/sip/head.js';
import { DEFAULT_LIMITS, type ParseLimits } from '../../src/sip/limits.js';
import { SipParseError } from '../../src/sip/parse-error.js';
import { prng } from '../helpers/prng.js';
import { corpus, fixtureFiles, mutate } from '../helpers/sip-corpus.js';

const REGISTER = Buffer.from(
  [
    'REGISTER sip:node7.mesh SIP/2.0',
    'Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK77;rport',
    'Max-Forwards: 70',
    'From: <sip:alice@node7.mesh>;tag=1',
    'To: <sip:alice@node7.mesh>',
    'Call-ID: a1@198.18.0.2',
    'CSeq: 1 REGISTER',
    'Contact: <sip:alice@198.18.0.2:5060>',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n'),
  'latin1',
);

function plain(head: Head) {
  return { startLine: head.startLine, fields: head.headers.entries().map((f) => ({ ...f })), bodyStart: head.bodyStart };
}

/** The exact reading's result, or the code of the error it throws. */
function exact(data: Buffer, limits: ParseLimits): ReturnType<typeof plain> | string {
  try {
    return plain(readHeadExact(data, limits));
  } catch (err) {
    if (err instanceof SipParseError) return err.code;
    throw err;
  }
}

/** Where the plain reading answers, it answers as the exact one does. */
function agrees(t: Test, data: Buffer, limits: ParseLimits = DEFAULT_LIMITS): boolean {
  const fast = readPlainHead(data, limits);
  if (fast === undefined) return false;
  t.same(plain(fast), exact(data, limits), JSON.stringify(data.toString('latin1').slice(0, 80)));
  return true;
}

t.test('an ordinary REGISTER is read the plain way, as the exact reading reads it', async (t) => {
  t.ok(agrees(t, REGISTER));
  const head = readPlainHead(REGISTER, DEFAULT_LIMITS)!;
  t.equal(head.startLine, 'REGISTER sip:node7.mesh SIP/2.0');
  t.equal(head.headers.get('call-id'), 'a1@198.18.0.2');
  t.equal(head.bodyStart, REGISTER.length);
  t.ok(agrees(t, Buffer.from(REGISTER.toString('latin1').replace(/\r\n/g, '\n'), 'latin1')), 'bare LF line ends');
  t.ok(agrees(t, Buffer.concat([Buffer.from('\r\n\r\n'), REGISTER])), 'CRLFs before the start line');
  t.ok(agrees(t, Buffer.from(REGISTER.toString('latin1').replace('Max-Forwards: 70', 'Max-Forwards  :   70  '), 'latin1')), 'whitespace around the colon');
});

t.test('what the plain reading leaves to the exact one', async (t) => {
  const text = REGISTER.toString('latin1');
  const cases: Record<string, string> = {
    'a folded line': text.replace('Max-Forwards: 70', 'Max-Forwards:\r\n 70'),
    'UTF-8 in a display name': Buffer.from(text.replace('From: <', 'From: "Jordà" <'), 'utf8').toString('latin1'),
    'a NUL byte': text.replace('70', '7\x000'),
    'a lone CR': text.replace('70', '7\r0'),
    'no empty line': text.slice(0, text.indexOf('\r\n\r\n') + 2),
    'a line without a colon': text.replace('Max-Forwards: 70', 'Max-Forwards 70'),
  };
  for (const [name, input] of Object.entries(cases)) {
    const data = Buffer.from(input, 'latin1');
    t.equal(readPlainHead(data, DEFAULT_LIMITS), undefined, name);
    const want = exact(data, DEFAULT_LIMITS);
    if (typeof want === 'string') t.throws(() => readHead(data, DEFAULT_LIMITS), { code: want }, `${name}: ${want}`);
    else t.same(plain(readHead(data, DEFAULT_LIMITS)), want, `${name}: read by the exact reading`);
  }
  for (const [limits, code] of [
    [{ ...DEFAULT_LIMITS, maxHeaders: 4 }, 'TOO_MANY_HEADERS'],
    [{ ...DEFAULT_LIMITS, maxLineLength: 40 }, 'LINE_TOO_LONG'],
  ] as const) {
    t.equal(readPlainHead(REGISTER, limits), undefined, `${code}: left to the exact reading`);
    t.throws(() => readHead(REGISTER, limits), { code }, `${code}: named by the exact reading`);
  }
});

t.test('the fixtures and 3000 mutations of them: both readings agree wherever the plain one answers', async (t) => {
  const random = prng(0x4ead);
  let answered = 0;
  for (const [i, data] of corpus.entries()) {
    if (agrees(t, data)) answered++;
    else t.ok(fixtureFiles[i], 'left to the exact reading');
  }
  for (let i = 0; i < 3000; i++) {
    const data = mutate(corpus[Math.floor(random() * corpus.length)]!, random);
    const limits = random() < 0.2 ? { ...DEFAULT_LIMITS, maxLineLength: 60, maxHeaders: 6 } : DEFAULT_LIMITS;
    if (agrees(t, data, limits)) answered++;
  }
  // The plain reading must carry most real traffic, or it buys nothing.
  t.ok(answered > (corpus.length + 3000) / 4, `${answered} of ${corpus.length + 3000} read the plain way`);
});
