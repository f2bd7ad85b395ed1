/**
 * Recent calls under the dial box (DESIGN.md §6): made and received, answered or missed, when, with
 * Call to call back and Delete to remove one from this user's own history. Missed calls received
 * stand out, and those not seen yet are counted by the badge of missed-badge.ts. Reloaded after
 * every call.
 */
import { api, type PastCall } from './api.js';
import { el } from './dom.js';
import { createMissedBadge } from './missed-badge.js';
import { text } from './strings.js';

export interface HistoryView {
  readonly root: HTMLElement;
  refresh(): void;
}

const WHEN = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'short' });

export function createHistoryView(user: string, callBack: (peer: string) => void): HistoryView {
  const list = el('ul', { class: 'history' });
  const note = el('p', { class: 'muted' });
  const heading = el('h2', {}, text('recentCalls'));
  const root = el('section', { class: 'recent', 'aria-label': text('recentCalls') }, heading, note, list);
  const badge = createMissedBadge(user, list);
  heading.append(' ', badge.root);

  const item = (call: PastCall) => {
    const missed = call.direction === 'received' && call.outcome === 'missed';
    const back = el('button', { type: 'button', class: 'secondary' }, text('callBack'));
    const remove = el('button', { type: 'button', class: 'secondary' }, text('deleteCall'));
    back.addEventListener('click', () => callBack(call.peer));
    remove.addEventListener('click', () => {
      remove.disabled = true;
      api.deleteCall(call.id).then(refresh, () => (remove.disabled = false));
    });
    return el(
      'li',
      { class: missed ? 'missed' : '', 'data-call-id': String(call.id) },
      el('span', { class: 'who' }, text(call.direction === 'made' ? 'callMade' : 'callReceived', { peer: call.peer })),
      el('span', { class: 'what' }, `${text(`outcome_${call.outcome}`)} · `, el('span', { class: 'when' }, WHEN.format(new Date(call.startedAt)))),
      el('span', { class: 'buttons' }, back, remove),
    );
  };

  const refresh = () => {
    api.history().then(
      (calls) => {
        note.textContent = calls.length === 0 ? text('noCalls') : '';
        list.replaceChildren(...calls.map(item));
        badge.update(calls);
      },
      () => (note.textContent = text('historyFailed')),
    );
  };
  return { root, refresh };
}
