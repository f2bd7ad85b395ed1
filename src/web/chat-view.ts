/**
 * Chat over SIP MESSAGE (RFC 3428), one conversation per person: the people written with, each
 * with the count of messages not read yet, and the open conversation with its messages and a box to
 * write. Messages that arrived while this user was offline come from the node at registration and
 * take their place by the time the node took them. Kept in this page's memory only.
 */
import { el, show } from './dom.js';
import type { SendOutcome, TextMessage } from './phone/phone.js';
import { text } from './strings.js';

export interface ChatView {
  readonly root: HTMLElement;
  /** Opens the conversation with `peer` (from the dial box's Message button). */
  open(peer: string): void;
  received(message: TextMessage): void;
}

interface Line {
  readonly mine: boolean;
  readonly body: string;
  readonly at: number;
  state: string;
}

interface Conversation {
  readonly lines: Line[];
  unread: number;
}

/** Longest message the page sends; the node's own limit (`message_max_body`) is 8 KB by default. */
const MAX_LENGTH = 2000;
const TIME = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

export function createChatView(send: (peer: string, body: string) => Promise<SendOutcome>): ChatView {
  const conversations = new Map<string, Conversation>();
  let current: string | undefined;

  const people = el('ul', { class: 'people' });
  const heading = el('h3', {});
  const lines = el('ol', { class: 'lines', 'aria-live': 'polite' });
  const input = el('input', { name: 'message', type: 'text', autocomplete: 'off', maxlength: String(MAX_LENGTH), placeholder: text('messagePlaceholder'), required: '' });
  const form = el('form', { class: 'write' }, input, el('button', { type: 'submit' }, text('send')));
  const open = el('div', { class: 'conversation' }, heading, lines, form);
  const root = el('section', { class: 'chat', 'aria-label': text('messages') }, el('h2', {}, text('messages')), people, open);
  show(open, false);

  const conversation = (peer: string) => {
    let c = conversations.get(peer);
    if (c === undefined) conversations.set(peer, (c = { lines: [], unread: 0 }));
    return c;
  };

  const renderPeople = () => {
    people.replaceChildren(
      ...[...conversations].map(([peer, c]) => {
        const b = el('button', { type: 'button', class: peer === current ? 'secondary current' : 'secondary', 'data-peer': peer }, peer);
        if (c.unread > 0) b.append(' ', el('span', { class: 'unread', 'aria-label': text('unread', { n: c.unread }) }, String(c.unread)));
        b.addEventListener('click', () => openWith(peer));
        return el('li', {}, b);
      }),
    );
  };

  const renderLines = () => {
    if (current === undefined) return;
    const c = conversation(current);
    lines.replaceChildren(
      ...c.lines.map((l) =>
        el('li', { class: l.mine ? 'mine' : 'theirs' }, el('span', { class: 'body' }, l.body), el('span', { class: 'meta' }, [TIME.format(new Date(l.at)), l.state].filter(Boolean).join(' · '))),
      ),
    );
    lines.lastElementChild?.scrollIntoView({ block: 'nearest' });
  };

  const openWith = (peer: string) => {
    current = peer;
    conversation(peer).unread = 0;
    heading.textContent = text('conversationWith', { peer });
    show(open, true);
    renderPeople();
    renderLines();
    input.focus();
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = input.value.trim();
    if (current === undefined || body === '') return;
    const peer = current;
    const line: Line = { mine: true, body, at: Date.now(), state: text('sending') };
    conversation(peer).lines.push(line);
    input.value = '';
    renderLines();
    send(peer, body).then(
      (outcome) => {
        line.state = outcome.kind === 'delivered' ? '' : outcome.kind === 'stored' ? text('messageStored', { peer }) : text('messageRefused', { status: outcome.status });
        if (current === peer) renderLines();
      },
      () => {
        line.state = text('messageFailed');
        if (current === peer) renderLines();
      },
    );
  });

  return {
    root,
    open: openWith,
    received(message) {
      const c = conversation(message.from);
      c.lines.push({ mine: false, body: message.body, at: message.at, state: '' });
      c.lines.sort((a, b) => a.at - b.at);
      if (current === message.from) renderLines();
      else c.unread++;
      renderPeople();
    },
  };
}
