// The bench's users: u0000, u0001, … with password "bench-pw-" and the same digits. Kamailio's
// config derives the password the same way, so every target holds the same accounts.
import { writeFileSync } from 'node:fs';

export function benchUsers(count) {
  return Array.from({ length: count }, (_, i) => {
    const digits = String(i).padStart(4, '0');
    return { name: `u${digits}`, password: `bench-pw-${digits}` };
  });
}

/**
 * sipp's injection file for test/sipp/register-auth.xml: SEQUENTIAL, then `user;password;[authentication …]`
 * (sipp expands the keyword when a field holds it, not [fieldN] inside the keyword).
 */
export function writeUsersCsv(path, users) {
  const lines = users.map((u) => `${u.name};${u.password};[authentication username=${u.name} password=${u.password}]`);
  writeFileSync(path, ['SEQUENTIAL', ...lines, ''].join('\n'));
}
