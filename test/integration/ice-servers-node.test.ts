// The running node answers GET /api/ice-servers on its HTTPS port with its own STUN server at the
// address the request came to, and never a public one.
import t from 'tap';
import { request } from 'node:https';
import { freePorts } from '../helpers/ports.js';
import { startTestNode } from '../helpers/test-node.js';

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, rejectUnauthorized: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 5 s')));
    req.on('error', reject);
    req.end();
  });
}

t.test('GET /api/ice-servers lists the node itself as STUN server', async (t) => {
  const [stunPort] = await freePorts(1);
  const n = await startTestNode(t, { alice: 'wonderland' }, { stunPort: stunPort! });
  const res = await get(n.config.httpsPort, '/api/ice-servers');
  t.equal(res.status, 200);
  const body = JSON.parse(res.body) as { iceServers: { urls: string | string[] }[]; ttl: number };
  t.same(body.iceServers, [{ urls: [`stun:127.0.0.1:${stunPort}`] }], 'only the node, at the address asked');
  t.type(body.ttl, 'number');
  t.equal((await get(n.config.httpsPort, '/')).status, 200, 'the page is still served');
  t.equal((await get(n.config.httpsPort, '/nothing-here')).status, 404);
});
