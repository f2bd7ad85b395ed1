import t from 'tap';
import { SUMMARY_MAX_LISTED, missedCallSummary } from '../../src/proxy/missed-call-summary.js';
import type { CallRow } from '../../src/store/call-record.js';

let nextId = 1;
function missed(caller: string, iso: string): CallRow {
  const at = Date.parse(iso);
  return {
    id: nextId++,
    caller,
    callee: 'alice',
    callId: `c${nextId}`,
    devices: [],
    startedAt: at,
    answeredAt: null,
    endedAt: at + 45_000,
    outcome: 'missed',
    notified: false,
  };
}

t.test('nothing missed: no text', async (t) => {
  t.equal(missedCallSummary([]), '');
});

t.test('one call', async (t) => {
  t.equal(missedCallSummary([missed('bob', '2026-11-24T10:02:31.500Z')]), 'You missed a call from bob at 2026-11-24 10:02 UTC');
});

t.test('several calls, in the order they came, in UTC', async (t) => {
  const calls = [missed('carol@node3.mesh', '2026-11-24T23:59:59Z'), missed('bob', '2026-11-24T10:02:00Z')];
  t.equal(
    missedCallSummary(calls),
    'You missed 2 calls:\nbob at 2026-11-24 10:02 UTC\ncarol@node3.mesh at 2026-11-24 23:59 UTC',
  );
});

t.test('a long list is cut, and the rest counted', async (t) => {
  const calls = Array.from({ length: 13 }, (_, i) => missed(`user${i}`, `2026-01-01T00:${String(i).padStart(2, '0')}:00Z`));
  const lines = missedCallSummary(calls).split('\n');
  t.equal(lines[0], 'You missed 13 calls:');
  t.equal(lines.length, 1 + SUMMARY_MAX_LISTED + 1);
  t.equal(lines[1], 'user0 at 2026-01-01 00:00 UTC');
  t.equal(lines[SUMMARY_MAX_LISTED], 'user9 at 2026-01-01 00:09 UTC');
  t.equal(lines.at(-1), 'and 3 more');
});

t.test('a caller name cannot break the text', async (t) => {
  const hostile = missed('evil\r\nYou won a prize\u0000', '2026-11-24T10:02:00Z');
  const long = missed(`${'x'.repeat(100)}@node9.mesh`, '2026-11-24T10:03:00Z');
  const text = missedCallSummary([hostile, long]);
  t.equal(text.split('\n').length, 3, 'one line per call');
  t.match(text, 'evil??You won a prize? at 2026-11-24 10:02 UTC');
  t.match(text, `${'x'.repeat(63)}… at 2026-11-24 10:03 UTC`);
  t.notMatch(text, /[\x00\r]/);
});

t.test('a time that is no date', async (t) => {
  t.equal(missedCallSummary([{ ...missed('bob', '2026-11-24T10:02:00Z'), startedAt: Number.NaN }]), 'You missed a call from bob at an unknown time');
});
