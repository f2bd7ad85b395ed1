/**
 * Where the page's built files are, found in this one place: `www/` beside the running server
 * bundle (dist/trucada.cjs, installed as /usr/share/trucada/trucada.cjs with www/ beside it), or,
 * when the node runs from its sources (the tests), the checkout's dist/www that `npm run build` makes.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function wwwDir(): string {
  return typeof __dirname === 'string' ? join(__dirname, 'www') : fileURLToPath(new URL('../../dist/www', import.meta.url));
}
