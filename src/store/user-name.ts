/** Account names: the user part of `name@domain`, kept to characters that need no escaping in a SIP URI. */
import { StoreError } from './store-error.js';

export const USER_NAME_MAX = 32;

// Checked before lower-casing: toLowerCase() maps some non-ASCII letters (the Kelvin sign) to ASCII.
const USER_NAME = /^[A-Za-z0-9._-]{1,32}$/;

/** Lower-cases the name (names are case-insensitive) and refuses anything outside `a-z 0-9 . _ -`. */
export function normalizeUserName(s: string): string {
  if (!USER_NAME.test(s)) {
    throw new StoreError(
      'BAD_USER_NAME',
      `bad user name ${JSON.stringify(s.slice(0, 40))}: use 1 to ${USER_NAME_MAX} characters among a-z, 0-9, '.', '_' and '-'`,
    );
  }
  return s.toLowerCase();
}
