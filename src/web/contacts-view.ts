/**
 * Contacts (issue 10): the people this user keeps, each shown online, offline or "not shared" as
 * far as that person allows, with Call, Message and Remove; a box to add someone of this node or
 * `name@node`; and this user's own choice of who sees them online. Presence is asked of the node
 * every 15 seconds while the page is visible (src/http/api/contacts-api.ts says why not SIP).
 */
import { ApiError, api, type ContactEntry, type PresenceSetting } from './api.js';
import { el, field } from './dom.js';
import { text } from './strings.js';

export interface ContactsView {
  readonly root: HTMLElement;
  refresh(): void;
}

const POLL_MS = 15_000;
const SETTINGS: readonly PresenceSetting[] = ['mesh', 'contacts', 'nobody'];

export function createContactsView(actions: { call(peer: string): void; message(peer: string): void }): ContactsView {
  const list = el('ul', { class: 'contacts' });
  const note = el('p', { class: 'note', role: 'status' });
  const input = el('input', { name: 'contact', type: 'text', list: 'node-users', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', placeholder: text('dialPlaceholder'), required: '', maxlength: '290' });
  const add = el('form', { class: 'add-contact' }, field(text('addContactLabel'), input), el('button', { type: 'submit', class: 'secondary' }, text('addContact')));
  const choices = SETTINGS.map((value) => el('input', { type: 'radio', name: 'presence', value }));
  const setting = el(
    'fieldset',
    { class: 'presence-setting' },
    el('legend', {}, text('presenceLegend')),
    ...SETTINGS.map((value, i) => el('label', { class: 'check' }, choices[i]!, text(`presence_${value}`))),
  );
  const root = el('section', { class: 'contacts-section', 'aria-label': text('contacts') }, el('h2', {}, text('contacts')), list, note, add, setting);
  const failure = (err: unknown) => (note.textContent = err instanceof ApiError && err.status > 0 ? err.message : text('networkError'));

  const item = (c: ContactEntry) => {
    const call = el('button', { type: 'button', class: 'secondary' }, text('call'));
    const message = el('button', { type: 'button', class: 'secondary' }, text('message'));
    const remove = el('button', { type: 'button', class: 'secondary', 'aria-label': text('removeContactOf', { name: c.name }) }, text('removeContact'));
    call.addEventListener('click', () => actions.call(c.name));
    message.addEventListener('click', () => actions.message(c.name));
    remove.addEventListener('click', () => {
      remove.disabled = true;
      api.removeContact(c.name).then(refresh, (err: unknown) => {
        remove.disabled = false;
        failure(err);
      });
    });
    return el(
      'li',
      { 'data-contact': c.name, 'data-seen': c.seen },
      el('span', { class: 'who' }, c.name),
      el('span', { class: `seen ${c.seen}` }, text(`seen_${c.seen}`)),
      el('span', { class: 'buttons' }, call, message, remove),
    );
  };

  const refresh = () => {
    api.contacts().then(
      ({ presence, contacts }) => {
        for (const c of choices) c.checked = c.value === presence;
        list.replaceChildren(...contacts.map(item));
        if (contacts.length === 0) note.textContent = text('noContacts');
        else if (note.textContent === text('noContacts')) note.textContent = '';
      },
      failure,
    );
  };

  add.addEventListener('submit', (e) => {
    e.preventDefault();
    api.addContact(input.value.trim()).then(() => {
      add.reset();
      note.textContent = '';
      refresh();
    }, failure);
  });
  for (const c of choices) {
    c.addEventListener('change', () => {
      if (!c.checked) return;
      api.setPresence(c.value as PresenceSetting).then(() => (note.textContent = text('presenceSaved')), (err: unknown) => {
        failure(err);
        refresh();
      });
    });
  }
  // Until the view leaves the page (logout, or the account left).
  const visible = () => {
    if (!root.isConnected) {
      clearInterval(poll);
      document.removeEventListener('visibilitychange', visible);
    } else if (document.visibilityState === 'visible') refresh();
  };
  const poll = setInterval(visible, POLL_MS);
  document.addEventListener('visibilitychange', visible);
  refresh();
  return { root, refresh };
}
