/**
 * The page's entry: asks the node who it is and whether this browser has a session, then shows the
 * login screen or, once logged in, the phone registered over the WebSocket of this same origin.
 */
import { ApiError, api, type Me, type NodeInfo } from './api.js';
import { showLogin } from './login-view.js';
import { createSipPhone } from './phone/sip-phone.js';
import { showPhone } from './phone-view.js';
import { LANGUAGE, text } from './strings.js';
import './style.css';

const root = document.getElementById('app')!;

function login(node: NodeInfo, notice?: string): void {
  // The phone's missed-call count leaves the title with the phone.
  document.title = text('title');
  showLogin(root, { node, onLoggedIn: (me) => void phone(node, me), ...(notice ? { notice } : {}) });
}

async function phone(node: NodeInfo, me: Me): Promise<void> {
  // Without the node's STUN, host candidates still connect on a flat mesh.
  const iceServers = await api.iceServers().catch(() => []);
  const p = showPhone(root, {
    user: me.name,
    admin: me.admin,
    domain: node.domain,
    makePhone: (events) => createSipPhone({ server: `wss://${location.host}/`, user: me.name, domain: node.domain, iceServers }, events),
    onLogOut: async () => {
      await p.stop().catch(() => {});
      await api.logout().catch(() => {});
      login(node);
    },
    onLeft: async () => {
      await p.stop().catch(() => {});
      login(node, text('left'));
    },
    onSessionEnded: async () => {
      await p.stop().catch(() => {});
      login(node, text('sessionEnded'));
    },
  });
}

/** Seconds between tries while the node cannot be reached (the page itself came from the service worker). */
const RETRY_S = 5;

async function main(): Promise<void> {
  const node = await api.node();
  const me = await api.me();
  if (me === undefined) login(node);
  else await phone(node, me);
}

function start(): void {
  main().catch((err: unknown) => {
    if (err instanceof ApiError && err.status > 0) {
      root.textContent = err.message;
      return;
    }
    root.textContent = text('nodeUnreachable', { s: RETRY_S });
    setTimeout(start, RETRY_S * 1000);
  });
}

document.documentElement.lang = LANGUAGE;
document.title = text('title');
// Browsers allow a service worker only where the certificate is trusted (a node given its own
// `cert`): with the self-signed one the page still works, it is just not kept for a restart.
navigator.serviceWorker?.register('/sw.js').catch(() => {});
start();
