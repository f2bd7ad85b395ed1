/**
 * The node's JSON API as the page uses it. Same origin only; the session is an HttpOnly cookie the
 * page never sees, and the CSRF token that goes with it is kept here, in memory.
 */

export type SignupMode = 'open' | 'approval' | 'closed';

export interface NodeInfo {
  domain: string;
  signup: SignupMode;
}

/** One call of the user's history, as GET /api/history gives it. */
export interface PastCall {
  id: number;
  peer: string;
  direction: 'made' | 'received';
  outcome: 'answered' | 'missed' | 'busy' | 'declined' | 'failed';
  startedAt: number;
  answeredAt: number | null;
  endedAt: number;
}

export interface Me {
  name: string;
  csrf: string;
  /** Approves sign-ups and removes users (src/web/admin-view.ts). */
  admin: boolean;
}

/** A sign-up on a node with `signup approval`: no session until an admin lets it in. */
export interface Pending {
  name: string;
  pending: true;
}

export type PresenceSetting = 'mesh' | 'contacts' | 'nobody';

/** A contact, with what its owner may see of their presence. */
export interface ContactEntry {
  name: string;
  seen: 'online' | 'offline' | 'hidden';
}

/** Someone of the mesh, as GET /api/users lists them. */
export interface DirectoryEntry {
  name: string;
  node: string;
  seen: ContactEntry['seen'];
}

/** One of the node's users, as an admin sees them. */
export interface UserEntry {
  name: string;
  createdAt: number;
  admin: boolean;
  pending: boolean;
}

/** A refusal by the node (`status` > 0, with its message) or no answer at all (`status` 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let csrf = '';

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch (err) {
    throw new ApiError(0, err instanceof Error ? err.message : String(err));
  }
  const data = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new ApiError(res.status, data.error ?? res.statusText);
  return data;
}

async function session(path: string, name: string, password: string): Promise<Me | Pending> {
  const answer = await request<Me | Pending>('POST', path, { name, password });
  if ('csrf' in answer) csrf = answer.csrf;
  return answer;
}

export const api = {
  node: () => request<NodeInfo>('GET', '/api/node'),
  /** Undefined when there is no session. */
  async me(): Promise<Me | undefined> {
    try {
      const me = await request<Me>('GET', '/api/me');
      csrf = me.csrf;
      return me;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return undefined;
      throw err;
    }
  },
  login: async (name: string, password: string) => (await session('/api/login', name, password)) as Me,
  signup: (name: string, password: string) => session('/api/signup', name, password),
  async logout(): Promise<void> {
    await request<unknown>('POST', '/api/logout');
    csrf = '';
  },
  async changePassword(password: string, newPassword: string): Promise<void> {
    csrf = (await request<Me>('POST', '/api/password', { password, newPassword })).csrf;
  },
  async leave(password: string): Promise<void> {
    await request<unknown>('POST', '/api/leave', { password });
    csrf = '';
  },
  users: async () => (await request<{ users: DirectoryEntry[] }>('GET', '/api/users')).users,
  history: async () => (await request<{ calls: PastCall[] }>('GET', '/api/history')).calls,
  deleteCall: (id: number) => request<unknown>('DELETE', `/api/history/${id}`),
  contacts: () => request<{ presence: PresenceSetting; contacts: ContactEntry[] }>('GET', '/api/contacts'),
  addContact: (name: string) => request<unknown>('POST', '/api/contacts/add', { name }),
  removeContact: (name: string) => request<unknown>('POST', '/api/contacts/remove', { name }),
  setPresence: (presence: PresenceSetting) => request<unknown>('POST', '/api/presence', { presence }),
  adminUsers: async () => (await request<{ users: UserEntry[] }>('GET', '/api/admin/users')).users,
  approveUser: (name: string) => request<unknown>('POST', '/api/admin/approve', { name }),
  removeUser: (name: string) => request<unknown>('POST', '/api/admin/remove', { name }),
  iceServers: async () => (await request<{ iceServers: RTCIceServer[] }>('GET', '/api/ice-servers')).iceServers,
};
