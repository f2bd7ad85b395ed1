/**
 * The phone screen after login: who you are and whether the phone is registered, the dial box,
 * the call in progress or ringing here (one at a time; a second incoming call gets 486 Busy), and
 * what went wrong last.
 */
import { api } from './api.js';
import { createAccountView } from './account-view.js';
import { createAdminView } from './admin-view.js';
import { createCallPanel } from './call-panel.js';
import { createChatView } from './chat-view.js';
import { createContactsView } from './contacts-view.js';
import { createHistoryView } from './history-view.js';
import { createLanguagePicker } from './language-picker.js';
import { askToNotify } from './ring.js';
import { el, field, show } from './dom.js';
import type { Call, Phone, RegistrationState, TextMessage } from './phone/phone.js';
import { text } from './strings.js';

/** A user of this node (`bob`) or a full address (`bob@node3.mesh`), as RFC 3261 §25 user and host allow. */
const TARGET = /^[A-Za-z0-9._~!$&'()*+,;=%-]{1,64}(@[A-Za-z0-9.-]{1,253})?$/;

/** How long after a call the history is read a second time (see idle()). */
const HISTORY_AGAIN_MS = 1500;

export interface PhoneViewOptions {
  readonly user: string;
  /** Shows the admin view (src/web/admin-view.ts). */
  readonly admin: boolean;
  readonly domain: string;
  /** Makes the phone with the view's listeners; the view starts it. */
  readonly makePhone: (view: PhoneViewEvents) => Phone;
  readonly onLogOut: () => void;
  /** The account was deleted from the account view. */
  readonly onLeft: () => void;
  /** The node challenged the phone: the login session behind its WebSocket is gone. */
  readonly onSessionEnded: () => void;
}

export interface PhoneViewEvents {
  onRegistration(state: RegistrationState, failure?: { status?: number }): void;
  onIncoming(call: Call): void;
  onMessage(message: TextMessage): void;
  onDisconnected(): void;
}

export function showPhone(root: HTMLElement, opts: PhoneViewOptions): Phone {
  const registration = el('p', { class: 'registration', 'aria-live': 'polite' }, text('connecting'));
  const logOut = el('button', { type: 'button', class: 'secondary' }, text('logOut'));
  const target = el('input', { name: 'target', type: 'text', list: 'node-users', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', placeholder: text('dialPlaceholder'), required: '' });
  // Suggestions: the node's other users, asked again each time the box is entered (people sign up).
  const users = el('datalist', { id: 'node-users' });
  const suggest = () =>
    api.users().then(
      (entries) =>
        users.replaceChildren(...entries.filter((e) => e.name !== opts.user).map((e) => el('option', { value: e.name, label: e.seen === 'online' ? `${e.name} · ${text('seen_online')}` : e.name }))),
      () => {},
    );
  target.addEventListener('focus', () => void suggest());
  const suggestInContacts = (e: FocusEvent) => {
    if (e.target instanceof HTMLInputElement && e.target.list === users) void suggest();
  };
  const callButton = el('button', { type: 'submit' }, text('call'));
  const messageButton = el('button', { type: 'button', class: 'secondary' }, text('message'));
  const dial = el('form', { class: 'dial' }, field(text('dialLabel'), target), users, el('div', { class: 'buttons' }, callButton, messageButton));
  const message = el('p', { class: 'message', role: 'alert' });
  const dialled = (peer: string) => {
    target.value = peer;
    dial.requestSubmit();
  };
  const callArea = el('div', { class: 'call-area' });
  const history = createHistoryView(opts.user, dialled);
  const chat = createChatView((peer, body) => phone.send(peer, body));
  const contacts = createContactsView({
    call: dialled,
    message: (peer) => chat.open(peer),
  });
  contacts.root.addEventListener('focusin', suggestInContacts);
  root.replaceChildren(
    el('header', {}, el('p', {}, text('signedInAs', { user: `${opts.user}@${opts.domain}` })), logOut),
    registration,
    dial,
    message,
    callArea,
    contacts.root,
    chat.root,
    history.root,
    createAccountView(opts.onLeft),
    ...(opts.admin ? [createAdminView(opts.user)] : []),
    createLanguagePicker(),
  );
  history.refresh();
  let busy = false;

  const say = (s: string | undefined) => (message.textContent = s ?? '');
  const idle = (s: string | undefined, choices: string[] = []) => {
    busy = false;
    callArea.replaceChildren();
    show(dial, true);
    say(s);
    // A name several nodes have (300 Multiple Choices): one button per person to call.
    if (choices.length > 0) {
      callArea.replaceChildren(
        el('div', { class: 'buttons choices' }, ...choices.map((c) => {
          const b = el('button', { type: 'button', class: 'secondary' }, text('callChoice', { peer: c }));
          b.addEventListener('click', () => dialled(c));
          return b;
        })),
      );
    }
    // The node writes the call once every device it rang has ended, which can be after this one
    // heard the CANCEL or BYE: the list is read again a moment later to be sure to include it.
    history.refresh();
    setTimeout(() => history.refresh(), HISTORY_AGAIN_MS);
  };
  const shown = (peer: string) => {
    busy = true;
    say(undefined);
    show(dial, false);
    const panel = createCallPanel(peer, idle);
    callArea.replaceChildren(panel.root);
    return panel;
  };

  const phone = opts.makePhone({
    onRegistration(state, failure) {
      if (state === 'registered' && message.textContent === text('connectionLost')) say(undefined);
      registration.textContent = text(state === 'registered' ? 'ready' : state === 'connecting' ? 'connecting' : 'notConnected');
      callButton.disabled = state !== 'registered';
      if (failure?.status === 401 || failure?.status === 407) opts.onSessionEnded();
      else if (failure?.status !== undefined) say(text('registrationFailed', { status: failure.status }));
    },
    onIncoming(call) {
      if (busy) return call.refuseBusy();
      shown(call.peer).attach(call);
    },
    onMessage: (message) => chat.received(message),
    onDisconnected() {
      registration.textContent = text('notConnected');
      callButton.disabled = true;
      say(text('connectionLost'));
    },
  });

  dial.addEventListener('submit', (e) => {
    e.preventDefault();
    const peer = target.value.trim();
    if (!TARGET.test(peer)) return say(text('badTarget'));
    const panel = shown(peer);
    panel.attach(phone.call(peer, panel.events));
  });
  messageButton.addEventListener('click', () => {
    const peer = target.value.trim();
    if (!TARGET.test(peer)) return say(text('badTarget'));
    say(undefined);
    chat.open(peer);
  });
  logOut.addEventListener('click', opts.onLogOut);
  callButton.disabled = true;
  target.focus();
  phone.start().catch(() => say(text('connectFailed')));
  askToNotify();
  return phone;
}
