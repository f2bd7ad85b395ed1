import t from 'tap';
import { Headers, splitList, canonicalName } from '../../src/sip/headers.js';

t.test('compact forms map to long names', async (t) => {
  t.equal(canonicalName('v'), 'via');
  t.equal(canonicalName('Call-ID'), 'call-id');
  const h = new Headers([{ name: 'f', value: '<sip:a@b>;tag=1' }]);
  t.equal(h.get('From'), '<sip:a@b>;tag=1');
});

t.test('list headers split outside quotes and angle brackets', async (t) => {
  t.same(splitList('"Doe, John" <sip:j@x;a=1,2>, <sip:k@y>'), ['"Doe, John" <sip:j@x;a=1,2>', '<sip:k@y>']);
  const h = new Headers([
    { name: 'Via', value: 'SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2' },
    { name: 'v', value: 'SIP/2.0/TCP c;branch=z9hG4bK3' },
    { name: 'Subject', value: 'one, two' },
  ]);
  t.equal(h.getAll('via').length, 3);
  t.same(h.getAll('subject'), ['one, two']);
  t.equal(h.first('via'), 'SIP/2.0/UDP a;branch=z9hG4bK1', 'first: the first value of a list, however many follow');
  t.equal(h.first('subject'), 'one, two', 'and the whole value of a header that is no list');
  t.equal(h.first('route'), undefined);
  t.same(splitList(' , <sip:x>, <sip:y>', 1), ['<sip:x>'], 'at most one part, empty ones skipped');
  t.equal(h.shift('via'), 'SIP/2.0/UDP a;branch=z9hG4bK1');
  t.equal(h.getAll('via').length, 2);
  h.prepend('Via', 'SIP/2.0/WSS top;branch=z9hG4bK0');
  t.equal(h.get('via'), 'SIP/2.0/WSS top;branch=z9hG4bK0');
});
