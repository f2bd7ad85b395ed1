import t from 'tap';
import { BRANCH_COOKIE, newBranch, newCallId, newTag } from '../../src/sip/branch.js';
import { isToken } from '../../src/sip/params.js';

t.test('branches carry the RFC 3261 magic cookie; all ids are tokens and unique', async (t) => {
  const branches = new Set<string>();
  const tags = new Set<string>();
  const callIds = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    branches.add(newBranch());
    tags.add(newTag());
    callIds.add(newCallId());
  }
  t.equal(branches.size, 1000);
  t.equal(tags.size, 1000);
  t.equal(callIds.size, 1000);
  for (const b of branches) if (!b.startsWith(BRANCH_COOKIE) || b.length < 20 || !isToken(b)) t.fail(b);
  for (const x of [...tags, ...callIds]) if (!isToken(x) || x.length < 16) t.fail(x);
  t.equal(BRANCH_COOKIE, 'z9hG4bK');
});
