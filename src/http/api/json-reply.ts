/**
 * The JSON API's answers: a body of JSON, never cached, never sniffed; refusals as
 * `{"error": "<a sentence for the user>"}` with the status that says what kind.
 */
import type { ServerResponse } from 'node:http';

const HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

export function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string | string[]> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { ...HEADERS, ...extra, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, message: string, extra: Record<string, string | string[]> = {}): void {
  sendJson(res, status, { error: message }, extra);
}
