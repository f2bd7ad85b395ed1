/**
 * Reads a request's body with a size limit checked as the bytes arrive (a body past it is not
 * buffered); JSON only with `Content-Type: application/json`: a cross-site form cannot send that
 * without a CORS preflight, which the node never grants (one of the CSRF defences, with the
 * SameSite=Strict cookie and the token).
 */
import type { IncomingMessage } from 'node:http';

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

export const MAX_JSON_BODY = 4096;

export async function readJsonBody(req: IncomingMessage, max = MAX_JSON_BODY): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new BodyError(415, 'send the request as application/json');
  const body = await readBody(req, max);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new BodyError(400, 'the request body is not valid JSON');
  }
}

/** A request's body, refused with 413 past `max` bytes, declared or arriving. */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) return Promise.reject(new BodyError(413, `the request body may have at most ${max} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyError(413, `the request body may have at most ${max} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (size <= max) resolve(Buffer.concat(chunks));
    });
  });
}
