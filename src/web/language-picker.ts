/**
 * The language picker (DESIGN.md §6): the page starts in the browser's language, and anyone may
 * pick another; the choice is kept in this browser and the page reloads in it (every text is read
 * once, at start, so a reload is the simplest way to change them all).
 */
import { el } from './dom.js';
import { LANGUAGE, LANGUAGE_KEY, LANGUAGE_NAMES, text } from './strings.js';

export function createLanguagePicker(): HTMLElement {
  const select = el('select', { name: 'language' }, ...Object.entries(LANGUAGE_NAMES).map(([code, name]) => el('option', { value: code, lang: code }, name)));
  select.value = LANGUAGE;
  select.addEventListener('change', () => {
    try {
      localStorage.setItem(LANGUAGE_KEY, select.value);
    } catch {
      return;
    }
    location.reload();
  });
  return el('label', { class: 'language' }, el('span', {}, text('language')), select);
}
