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

async function main(): Promise<void> {
  document.documentElement.lang = LANGUAGE;
  document.title = text('title');
  const node = await api.node();
  const me = await api.me();
  if (me === undefined) login(node);
  else await phone(node, me);
}

main().catch((err: unknown) => {
  root.textContent = err instanceof ApiError && err.status > 0 ? err.message : text('networkError');
});
