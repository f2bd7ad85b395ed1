import t from 'tap';
import { bestResponse } from '../../src/proxy/best-response.js';
import { createResponse } from '../../src/sip/response.js';
import { request } from './proxy-fixture.js';

const req = request();
const best = (...statuses: number[]) => bestResponse(statuses.map((s) => createResponse(req, s)))?.status;

t.test('a 6xx wins over every other class', async (t) => {
  t.equal(best(486, 603, 408), 603);
  t.equal(best(300, 600), 600);
  t.equal(best(500, 604, 404), 604);
});

t.test('otherwise the lowest class', async (t) => {
  t.equal(best(503, 404), 404);
  t.equal(best(486, 302), 302);
  t.equal(best(500, 502), 500);
});

t.test('within 4xx, busy and the like say more than 408, 480 and 487', async (t) => {
  t.equal(best(408, 486, 480), 486);
  t.equal(best(480, 408), 480, '480 says more than a timeout');
  t.equal(best(487, 408), 408);
  t.equal(best(487, 480, 408, 404), 404);
  t.equal(best(488, 487), 488);
});

t.test('a tie keeps the first; nothing gives undefined', async (t) => {
  const responses = [createResponse(req, 404, 'first'), createResponse(req, 403, 'second')];
  t.equal(bestResponse(responses)?.reason, 'first');
  t.equal(bestResponse([]), undefined);
});
