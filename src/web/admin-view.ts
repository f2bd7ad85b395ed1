/**
 * For a node's admins, folded away under the phone: the node's users, sign-ups waiting for approval
 * first, with Approve for those and Remove for the others. Remove asks again on the spot, because
 * it deletes the user's account, calls and messages for good; an admin cannot remove themselves or
 * another admin here (src/http/api/admin-api.ts). The summary counts the waiting sign-ups.
 */
import { ApiError, api, type UserEntry } from './api.js';
import { el } from './dom.js';
import { text } from './strings.js';

export function createAdminView(self: string): HTMLElement {
  const list = el('ul', { class: 'users' });
  const note = el('p', { class: 'note', role: 'status' });
  const count = el('span', { class: 'badge' });
  const root = el('details', { class: 'admin' }, el('summary', {}, text('adminUsers'), ' ', count), note, list);
  const failure = (err: unknown) => (note.textContent = err instanceof ApiError && err.status > 0 ? err.message : text('networkError'));

  const act = (button: HTMLButtonElement, run: () => Promise<unknown>, done: string) => {
    button.disabled = true;
    run().then(
      () => {
        note.textContent = done;
        refresh();
      },
      (err: unknown) => {
        button.disabled = false;
        failure(err);
      },
    );
  };

  const item = (user: UserEntry) => {
    const buttons = el('span', { class: 'buttons' });
    const remove = el('button', { type: 'button', class: 'secondary' }, text(user.pending ? 'turnDown' : 'removeUser'));
    remove.addEventListener('click', () => {
      const sure = el('button', { type: 'button', class: 'hang-up' }, text('removeSure', { name: user.name }));
      const cancel = el('button', { type: 'button', class: 'secondary' }, text('cancel'));
      sure.addEventListener('click', () => act(sure, () => api.removeUser(user.name), text('userRemoved', { name: user.name })));
      cancel.addEventListener('click', () => buttons.replaceChildren(...initial()));
      buttons.replaceChildren(sure, cancel);
      cancel.focus();
    });
    const approve = el('button', { type: 'button' }, text('approve'));
    approve.addEventListener('click', () => act(approve, () => api.approveUser(user.name), text('userApproved', { name: user.name })));
    const initial = () => [...(user.pending ? [approve] : []), ...(user.admin || user.name === self ? [] : [remove])];
    buttons.replaceChildren(...initial());
    const what = user.pending ? text('waitsForApproval') : user.admin ? text('anAdmin') : '';
    return el('li', { class: user.pending ? 'pending' : '', 'data-user': user.name }, el('span', { class: 'who' }, user.name), el('span', { class: 'what' }, what), buttons);
  };

  const refresh = () => {
    api.adminUsers().then((users) => {
      const waiting = users.filter((u) => u.pending);
      count.textContent = waiting.length > 0 ? text('waitingCount', { n: waiting.length }) : '';
      list.replaceChildren(...[...waiting, ...users.filter((u) => !u.pending)].map(item));
    }, failure);
  };
  // Asked again each time it is opened: sign-ups arrive while the page is open.
  root.addEventListener('toggle', () => {
    if (root.open) refresh();
  });
  refresh();
  return root;
}
