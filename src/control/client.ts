/** The command's end of the control channel: undefined when no daemon listens. */
import { connect } from 'node:net';
import type { ControlReply, ControlRequest } from './protocol.js';

export function sendControl(path: string, request: ControlRequest, timeoutMs = 3000): Promise<ControlReply | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const socket = connect(path);
    const finish = (value: ControlReply | undefined) => {
      socket.destroy();
      resolve(value);
    };
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => finish(undefined));
    socket.on('error', () => finish(undefined));
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('end', () => {
      try {
        finish(JSON.parse(text) as ControlReply);
      } catch {
        finish({ ok: false, error: 'unreadable reply from the daemon' });
      }
    });
  });
}
