/** The daemon's end of the control channel (see protocol.ts). */
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import type { Logger } from '../log.js';
import { MAX_CONTROL_LINE, type ControlReply, type ControlRequest } from './protocol.js';

export type ControlHandler = (request: ControlRequest) => ControlReply;

export interface ControlServer {
  close(): Promise<void>;
}

export function startControlServer(path: string, handler: ControlHandler, logger: Logger): Promise<ControlServer> {
  // The data_dir lock guarantees no other daemon owns this run_dir's socket: a leftover is stale.
  rmSync(path, { force: true });
  const server: Server = createServer((socket) => serve(socket, handler, logger));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve({
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            rmSync(path, { force: true });
          }),
      });
    });
  });
}

function serve(socket: Socket, handler: ControlHandler, logger: Logger): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.setTimeout(5000, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    const end = buffered.indexOf('\n');
    if (end < 0) {
      if (buffered.length > MAX_CONTROL_LINE) reply(socket, { ok: false, error: 'request too long' });
      return;
    }
    socket.removeAllListeners('data');
    reply(socket, answer(buffered.slice(0, end), handler, logger));
  });
}

function answer(line: string, handler: ControlHandler, logger: Logger): ControlReply {
  let request: unknown;
  try {
    request = JSON.parse(line);
  } catch {
    return { ok: false, error: 'request is not JSON' };
  }
  if (!isControlRequest(request)) return { ok: false, error: 'unknown request' };
  try {
    return handler(request);
  } catch (err) {
    logger.error(`control: ${request.cmd} failed: ${(err as Error).message}`);
    return { ok: false, error: (err as Error).message };
  }
}

function isControlRequest(value: unknown): value is ControlRequest {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  if (r.cmd === 'status') return true;
  return r.cmd === 'account-changed' && typeof r.user === 'string' && typeof r.dropBindings === 'boolean';
}

function reply(socket: Socket, message: ControlReply): void {
  socket.end(`${JSON.stringify(message)}\n`);
}
