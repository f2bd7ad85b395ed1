/**
 * The first screen: name and password, Log in, and Sign up when the node takes new accounts. The
 * password goes to the node over HTTPS once and the page forgets it: the phone's WebSocket is
 * authenticated by the login session's HttpOnly cookie (RFC 7118 §7), so no script and no browser
 * storage ever holds it, and a reload goes straight back to the phone.
 */
import { ApiError, api, type Me, type NodeInfo } from './api.js';
import { el, field, show } from './dom.js';
import { createLanguagePicker } from './language-picker.js';
import { text } from './strings.js';

export interface LoginOptions {
  readonly node: NodeInfo;
  readonly onLoggedIn: (me: Me) => void;
  /** Said above the form instead of the usual hint (the account was just deleted). */
  readonly notice?: string;
}

export function showLogin(root: HTMLElement, opts: LoginOptions): void {
  const name = el('input', { name: 'name', type: 'text', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: '', maxlength: '32' });
  const password = el('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: '', maxlength: '128' });
  const logIn = el('button', { type: 'submit', value: 'login' }, text('logIn'));
  const signUp = el('button', { type: 'submit', value: 'signup', class: 'secondary' }, text('signUp'));
  const message = el('p', { class: 'message', role: 'alert' });
  const hint = opts.node.signup === 'closed' ? 'signupClosed' : opts.node.signup === 'approval' ? 'signupApproval' : 'loginHint';
  const form = el('form', { class: 'login' }, el('p', {}, opts.notice ?? text(hint)), field(text('name'), name), field(text('password'), password), el('div', { class: 'buttons' }, logIn, signUp), message);
  show(signUp, opts.node.signup !== 'closed');
  root.replaceChildren(el('h1', {}, text('title')), form, createLanguagePicker());
  name.focus();

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const action = (e as SubmitEvent).submitter === signUp ? api.signup : api.login;
    logIn.disabled = signUp.disabled = true;
    message.textContent = text('working');
    try {
      const answer = await action(name.value.trim(), password.value);
      password.value = '';
      if ('csrf' in answer) return opts.onLoggedIn(answer);
      message.textContent = text('signupWaits', { name: answer.name });
      logIn.disabled = signUp.disabled = false;
    } catch (err) {
      message.textContent = err instanceof ApiError && err.status > 0 ? err.message : text('networkError');
      logIn.disabled = signUp.disabled = false;
    }
  });
}
