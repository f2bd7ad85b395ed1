/**
 * The first screen: name and password, Log in, and Sign up when the node takes new accounts. The
 * password goes to the node over HTTPS and stays in this page's memory for the phone's digest; it
 * is never written to browser storage.
 */
import { ApiError, api, type Me, type NodeInfo } from './api.js';
import { el, field, show } from './dom.js';
import { text } from './strings.js';

export interface LoginOptions {
  readonly node: NodeInfo;
  /** A session that is still valid but whose password this page no longer holds (after a reload). */
  readonly sessionName: string | undefined;
  readonly onLoggedIn: (me: Me, password: string) => void;
  /** Said above the form instead of the usual hint (the account was just deleted). */
  readonly notice?: string;
}

export function showLogin(root: HTMLElement, opts: LoginOptions): void {
  const name = el('input', { name: 'name', type: 'text', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: '', maxlength: '32' });
  const password = el('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: '', maxlength: '128' });
  const logIn = el('button', { type: 'submit', value: 'login' }, text('logIn'));
  const signUp = el('button', { type: 'submit', value: 'signup', class: 'secondary' }, text('signUp'));
  const message = el('p', { class: 'message', role: 'alert' });
  const hint = opts.sessionName !== undefined ? 'passwordAgain' : opts.node.signup === 'closed' ? 'signupClosed' : 'loginHint';
  const form = el('form', { class: 'login' }, el('p', {}, opts.notice ?? text(hint)), field(text('name'), name), field(text('password'), password), el('div', { class: 'buttons' }, logIn, signUp), message);
  show(signUp, opts.node.signup !== 'closed');
  name.value = opts.sessionName ?? '';
  root.replaceChildren(el('h1', {}, text('title')), form);
  (opts.sessionName === undefined ? name : password).focus();

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const action = (e as SubmitEvent).submitter === signUp ? api.signup : api.login;
    logIn.disabled = signUp.disabled = true;
    message.textContent = text('working');
    try {
      const me = await action(name.value.trim(), password.value);
      opts.onLoggedIn(me, password.value);
    } catch (err) {
      message.textContent = err instanceof ApiError && err.status > 0 ? err.message : text('networkError');
      logIn.disabled = signUp.disabled = false;
    }
  });
}
