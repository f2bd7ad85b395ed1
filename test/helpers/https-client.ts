/**
 * Requests to a node's HTTPS port as a browser would send them, accepting its self-signed
 * certificate: a method, a path, an optional JSON body, headers; the answer's status, headers and text.
 */
import https from 'node:https';

export interface HttpsAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

export function httpsRequest(port: number, method: string, path: string, opts: { json?: unknown; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<HttpsAnswer> {
  const body = opts.json !== undefined ? JSON.stringify(opts.json) : opts.body;
  const headers: Record<string, string> = { ...(opts.json !== undefined ? { 'Content-Type': 'application/json' } : {}), ...opts.headers };
  if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, method, path, headers, rejectUnauthorized: false, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const data = Buffer.concat(chunks);
        const text = data.toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data, text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The `name=value` of a Set-Cookie header, for the next request's Cookie. */
export function cookieOf(answer: HttpsAnswer): string {
  const set = answer.headers['set-cookie'];
  return (Array.isArray(set) ? set[0] : set ?? '').split(';')[0]!;
}
