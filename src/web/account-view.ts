/**
 * The account, folded away under the phone: change the password (the node ends every other
 * session), and leave the node, which asks for the password and a tick in a box first, because it
 * deletes the account, its calls and its messages for good.
 */
import { ApiError, api } from './api.js';
import { el, field } from './dom.js';
import { text } from './strings.js';

export function createAccountView(onLeft: () => void): HTMLElement {
  const current = el('input', { name: 'current-password', type: 'password', autocomplete: 'current-password', required: '', maxlength: '128' });
  const next = el('input', { name: 'new-password', type: 'password', autocomplete: 'new-password', required: '', minlength: '8', maxlength: '128' });
  const changeNote = el('p', { class: 'note', role: 'status' });
  const change = el('form', { class: 'change-password' }, field(text('currentPassword'), current), field(text('newPassword'), next), el('button', { type: 'submit' }, text('changePassword')), changeNote);

  const password = el('input', { name: 'leave-password', type: 'password', autocomplete: 'current-password', required: '', maxlength: '128' });
  const confirm = el('input', { name: 'leave-confirm', type: 'checkbox', required: '' });
  const leaveNote = el('p', { class: 'note', role: 'status' });
  const leave = el(
    'form',
    { class: 'leave' },
    el('h3', {}, text('leaveNode')),
    el('p', {}, text('leaveWarning')),
    field(text('password'), password),
    el('label', { class: 'check' }, confirm, text('leaveConfirm')),
    el('button', { type: 'submit', class: 'hang-up' }, text('leave')),
    leaveNote,
  );

  const failure = (err: unknown) => (err instanceof ApiError && err.status > 0 ? err.message : text('networkError'));
  change.addEventListener('submit', (e) => {
    e.preventDefault();
    changeNote.textContent = text('working');
    api.changePassword(current.value, next.value).then(
      () => {
        change.reset();
        changeNote.textContent = text('passwordChanged');
      },
      (err: unknown) => (changeNote.textContent = failure(err)),
    );
  });
  leave.addEventListener('submit', (e) => {
    e.preventDefault();
    leaveNote.textContent = text('working');
    api.leave(password.value).then(onLeft, (err: unknown) => (leaveNote.textContent = failure(err)));
  });
  return el('details', { class: 'account' }, el('summary', {}, text('account')), change, leave);
}
