// openwrt/Makefile, for the SDK or a feed, describes the same package as `npm run package`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ROOT, buildIpk, member } from './ipk-read.js';

const make = readFileSync(join(ROOT, 'openwrt/Makefile'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; license: string };
const variable = (name: string) => new RegExp(`^\\s*${name}:=(.*)$`, 'm').exec(make)?.[1];

t.test('the package variables', async (t) => {
  t.equal(variable('PKG_NAME'), 'trucada');
  t.equal(variable('PKG_VERSION'), pkg.version, 'the version of package.json');
  t.equal(variable('PKG_LICENSE'), pkg.license);
  t.equal(variable('PKGARCH'), 'all', 'one package for every architecture');
  t.equal(variable('DEPENDS'), '+node');
  t.equal(variable('USERID'), 'trucada:trucada', 'the same Require-User as the .ipk');
  t.match(make, /define Package\/trucada\/conffiles\n\/etc\/config\/trucada\nendef/);
  t.match(make, /\$\(eval \$\(call BuildPackage,trucada\)\)/);
});

t.test('it installs what the .ipk holds, with the same modes', async (t) => {
  const ipk = buildIpk(t);
  const installed = [...make.matchAll(/\$\((INSTALL_BIN|INSTALL_DATA|INSTALL_CONF)\) \S+ \$\(1\)(\S+)/g)].map((m) => [
    `.${m[2]}`,
    m[1] === 'INSTALL_BIN' ? '755' : '644',
  ]);
  const expected = ipk.data
    .filter((e) => e.type === '0' && !e.name.startsWith('./usr/share/trucada/'))
    .map((e) => [e.name, e.mode.toString(8)]);
  t.same(installed.sort(), expected.sort(), 'files/: one install line each');
  t.match(make, /\$\(CP\) \$\(PKG_BUILD_DIR\)\/dist\/\. \$\(1\)\/usr\/share\/trucada\//, 'dist/ under /usr/share/trucada');
  t.match(make, /find \$\(1\)\/usr\/share\/trucada -type f -exec chmod 0644/);
});

t.test('the same prerm-pkg as the .ipk: the SDK writes Package/trucada/prerm there, $$ as $', async (t) => {
  const defined = /^define Package\/trucada\/prerm\n([\s\S]*?)^endef$/m.exec(make)?.[1];
  t.ok(defined, 'Package/trucada/prerm is defined');
  t.equal(defined?.replaceAll('$$', '$'), member(buildIpk(t).control, './prerm-pkg').data.toString());
});
