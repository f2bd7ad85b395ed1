/**
 * Run by heap-use.ts on a node's test host: asks the Node inspector of the process there (opened
 * on 127.0.0.1:9229 by SIGUSR1) for a full garbage collection, then for `process.memoryUsage()`,
 * and prints that as one JSON line.
 */
import WebSocket from 'ws';

const INSPECTOR = 'http://127.0.0.1:9229/json/list';

/** The inspector opens a moment after the signal. */
async function target(): Promise<string> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      const [first] = (await (await fetch(INSPECTOR)).json()) as { webSocketDebuggerUrl: string }[];
      if (first) return first.webSocketDebuggerUrl;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const ws = new WebSocket(await target());
await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
let lastId = 0;
const call = (method: string, params: object = {}) =>
  new Promise<Record<string, unknown>>((resolve, reject) => {
    const id = ++lastId;
    const onMessage = (data: Buffer) => {
      const reply = JSON.parse(data.toString()) as { id?: number; result?: Record<string, unknown>; error?: unknown };
      if (reply.id !== id) return;
      ws.off('message', onMessage);
      if (reply.error !== undefined) reject(new Error(`${method}: ${JSON.stringify(reply.error)}`));
      else resolve(reply.result ?? {});
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, method, params }));
  });
// Twice: the first collection's finalizers free more for the second.
await call('HeapProfiler.collectGarbage');
await call('HeapProfiler.collectGarbage');
const { result } = await call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
process.stdout.write(`${(result as { value: string }).value}\n`);
ws.close();
