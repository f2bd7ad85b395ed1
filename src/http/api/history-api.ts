/**
 * The logged-in user's call history for the page (DESIGN.md §6: made, received, missed, deletion):
 *
 *   GET    /api/history?before=ID&limit=N   {calls: [{id, peer, direction, outcome, startedAt, answeredAt, endedAt}]}
 *   DELETE /api/history/ID                  (X-CSRF-Token) 204, or 404 when it is not in this user's history
 *
 * Newest first, a page at a time (`before` the smallest id already shown). Each side deletes from
 * its own history only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallRow } from '../../store/call-record.js';
import { sendError, sendJson } from './json-reply.js';
import type { SessionAuth } from './session-auth.js';

export interface HistoryApiOptions {
  readonly auth: SessionAuth;
  readonly history: {
    list(user: string, options: { limit: number; beforeId?: number }): CallRow[];
    delete(user: string, id: number): boolean;
  };
}

const PAGE = 50;
const ID = /^[1-9][0-9]{0,15}$/;

function shown(user: string, row: CallRow) {
  const made = row.caller === user;
  return {
    id: row.id,
    peer: made ? row.callee : row.caller,
    direction: made ? 'made' : 'received',
    outcome: row.outcome,
    startedAt: row.startedAt,
    answeredAt: row.answeredAt,
    endedAt: row.endedAt,
  };
}

export function createHistoryApi(opts: HistoryApiOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'https://node.invalid');
    if (url.pathname !== '/api/history' && !url.pathname.startsWith('/api/history/')) return false;
    const s = opts.auth.required(req, res, false);
    if (s === undefined) return true;
    if (url.pathname === '/api/history') {
      if (req.method !== 'GET') return (sendError(res, 405, '/api/history takes GET', { Allow: 'GET' }), true);
      const before = url.searchParams.get('before');
      const limit = url.searchParams.get('limit');
      if ((before !== null && !ID.test(before)) || (limit !== null && !/^[1-9][0-9]{0,2}$/.test(limit))) {
        return (sendError(res, 400, 'before is a call id and limit 1 to 999'), true);
      }
      const rows = opts.history.list(s.user, { limit: Math.min(Number(limit ?? PAGE), PAGE), ...(before !== null ? { beforeId: Number(before) } : {}) });
      return (sendJson(res, 200, { calls: rows.map((r) => shown(s.user, r)) }), true);
    }
    const id = url.pathname.slice('/api/history/'.length);
    if (req.method !== 'DELETE') return (sendError(res, 405, 'a call of the history takes DELETE', { Allow: 'DELETE' }), true);
    if (!opts.auth.hasToken(req, s)) return (sendError(res, 403, 'missing or wrong X-CSRF-Token'), true);
    if (!ID.test(id) || !opts.history.delete(s.user, Number(id))) return (sendError(res, 404, 'no such call in your history'), true);
    res.writeHead(204, { 'Cache-Control': 'no-store' }).end();
    return true;
  };
}
