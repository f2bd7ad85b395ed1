#!/usr/bin/env bash
# `npm run bench`: the register bench (bench/register-bench.mjs), then the call, media relay, overload,
# package, STUN, page and mesh benches, each bounded in time (their timeouts add up to 51 minutes, the
# register, overload and mesh benches 10 minutes each). Installs sipp, Kamailio, coturn, Chromium and
# rtpengine from Debian when they are missing and this runs as root (without root, a missing Chromium
# or rtpengine only skips the page or media relay bench, and the mesh bench, which needs network
# namespaces, is skipped), builds
# the bundle when dist/ is missing; on exit, stops any target or sipp the bench left running.
# Settings: see the head of bench/register-bench.mjs (BENCH_TARGETS, BENCH_ROUNDS, ...), of
# bench/call-bench.mjs (BENCH_CALL_TARGETS, ...), bench/overload-bench.mjs (BENCH_OVERLOAD_*),
# bench/page-bench.mjs and bench/mesh-bench.mjs (BENCH_MESH_*).
set -u
cd "$(dirname "$0")/.."

# Kamailio lives in /usr/sbin, which is not on every user's PATH.
if [ -z "${KAMAILIO:-}" ] && ! command -v kamailio >/dev/null 2>&1 && [ -x /usr/sbin/kamailio ]; then
  export KAMAILIO=/usr/sbin/kamailio
fi
missing=()
command -v "${SIPP:-sipp}" >/dev/null 2>&1 || missing+=(sip-tester)
command -v "${KAMAILIO:-kamailio}" >/dev/null 2>&1 || missing+=(kamailio)
command -v turnserver >/dev/null 2>&1 || missing+=(coturn)
# Only the page bench needs Chromium, and it is skipped without it (below), so only root asks for it.
[ -x /usr/bin/chromium ] || [ "$(id -u)" != 0 ] || missing+=(chromium)
# The media relay bench is skipped without rtpengine, likewise.
[ -x /usr/bin/rtpengine ] || [ "$(id -u)" != 0 ] || missing+=(rtpengine-daemon)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || exit 1
    [ -z "${KAMAILIO:-}" ] && ! command -v kamailio >/dev/null 2>&1 && export KAMAILIO=/usr/sbin/kamailio
  else
    echo "missing Debian packages (run as root to install them): ${missing[*]}" >&2
    exit 1
  fi
fi

case ",${BENCH_TARGETS:-node},${BENCH_CALL_TARGETS:-node}," in
  *,node,*) [ -f dist/trucada.cjs ] || npm run --silent build || exit 1 ;;
esac

mkdir -p bench/out
pidfile=bench/out/register.pids
cleanup() {
  [ -f "$pidfile" ] || return 0
  while read -r pgid; do
    [ -n "$pgid" ] && kill -KILL -- "-$pgid" 2>/dev/null
  done < "$pidfile"
  rm -f "$pidfile"
}
trap cleanup EXIT
# Bash runs a trap only once its foreground command ends, so the bench runs in the background and
# the script waits for it: SIGINT/SIGTERM are passed on, and the bench stops its targets itself.
bench=
stop() {
  [ -n "$bench" ] && kill -TERM "$bench" 2>/dev/null && wait "$bench"
  exit 130
}
trap stop INT TERM

# Runs bench/$1-bench.mjs for at most $2 seconds and returns its status; its process groups are in
# bench/out/$1.pids for the exit trap.
run_bench() {
  pidfile=bench/out/$1.pids
  timeout --kill-after=20 "$2" node "bench/$1-bench.mjs" &
  bench=$!
  wait "$bench"
}

# The whole bench stays under 10 minutes.
run_bench register 600
register_status=$?

# The call bench (bench/call-bench.mjs): calls per second through the node and through Kamailio as a
# stateful proxy (bench/kamailio/proxy.cfg), rounds alternating; a target whose first call fails is
# reported as not measured. Its section goes right after the register bench's in RESULTS.md.
# BENCH_CALL_TARGETS=kamailio measures Kamailio alone. Its process groups are in bench/out/call.pids.
run_bench call 300
call_status=$?

# The media relay bench (bench/relay-bench.mjs): rtpengine's CPU for 10 and 30 browser-to-phone calls
# at once, set up with the node's ng parameters, in Debian's headless Chromium; about 2 minutes. Its
# section goes right after the call bench's; rtpengine's process group is in bench/out/relay.pids.
relay_status=0
if [ -x /usr/bin/rtpengine ] && [ -x /usr/bin/chromium ]; then
  run_bench relay 300
  relay_status=$?
else
  echo "media relay bench skipped: /usr/bin/rtpengine or /usr/bin/chromium missing (apt-get install rtpengine-daemon chromium)"
fi

# The overload bench (bench/overload-bench.mjs): the node's memory under a REGISTER flood and a call
# flood of ten times its capacity, with the init script's V8 flags and without, Kamailio under the
# same floods; the answers sipp got (503s, retransmissions) and the time until the node serves
# normally again. About 5 minutes with its 30 s floods. Its section goes right after the call
# bench's in RESULTS.md; its process groups are in bench/out/overload.pids.
run_bench overload 600
overload_status=$?

# The package bench (bench/package-bench.mjs): the .ipk's sizes, start time and memory of the
# installed node with and without the init script's V8 flags; appends its section to RESULTS.md.
run_bench package 300
package_status=$?

# The STUN bench (bench/stun-bench.mjs): Binding responses per second from the node and from coturn
# (default threads and -m 1), rounds alternating; replaces its section of RESULTS.md. Its targets'
# process groups are in bench/out/stun.pids, for the exit trap.
run_bench stun 180
stun_status=$?

# The page bench (bench/page-bench.mjs): the page weight of a first visit and the time from a click on
# Call to a connected call, in Debian's headless Chromium; replaces its section of RESULTS.md. Its
# node's process group is in bench/out/page.pids; Chromium ends with playwright, the bench's child.
page_status=0
if [ -x /usr/bin/chromium ]; then
  run_bench page 180
  page_status=$?
else
  echo "page bench skipped: /usr/bin/chromium missing (apt-get install chromium, or run npm run bench as root)"
fi

# The mesh bench (bench/mesh-bench.mjs): scripts/mesh-sim.mjs for a line of 10 and a line, a ring and
# a grid of 30 nodes, each node in a network namespace of its own (so root only); replaces its section
# of RESULTS.md. Its sims' process groups are in bench/out/mesh.pids; each sim removes its namespaces.
mesh_status=0
if [ "$(id -u)" = 0 ]; then
  run_bench mesh 600
  mesh_status=$?
else
  echo "mesh bench skipped: it needs root (network namespaces)"
fi
[ "$register_status" = 0 ] && [ "$call_status" = 0 ] && [ "$relay_status" = 0 ] && [ "$overload_status" = 0 ] && [ "$package_status" = 0 ] &&
  [ "$stun_status" = 0 ] && [ "$page_status" = 0 ] && [ "$mesh_status" = 0 ]
