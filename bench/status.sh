#!/usr/bin/env bash
# The public status page under load, side by side with nginx serving the same
# bytes as static files. Target (the status-page issue): >= 70% of nginx's
# requests/s and p99 < 10 ms on / and /api/v2/summary.json while an update is
# published every second; memory flat with 10k concurrent connections.
#
# Usage: bash bench/status.sh
#   env: DURATION=15s THREADS=2 CONNS=64 (each wrk run), BIG_CONNS=10000,
#        BIG_DURATION=15s (the many-connections run), ENCODINGS="identity gzip",
#        FIREBREAK=path/to/binary (default: built from this tree)
# Needs wrk and nginx: apt-get install -y wrk nginx-light   (or nginx)
# nginx serves `firebreak status export`, with the measured paths (and their
# .gz for gzip_static) refreshed from firebreak before each pair, so both send
# the same bytes; bench/statuspub publishes one update per second through
# the API (draft, approve by a second user, publish) during firebreak's runs.
# Everything runs on loopback; wrk, nginx and firebreak share the machine's
# cores, so read the numbers as a comparison, not as capacity.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
BIG_CONNS=${BIG_CONNS:-10000}
BIG_DURATION=${BIG_DURATION:-15s}
ENCODINGS=${ENCODINGS:-identity gzip}
TARGETS=(/ /api/v2/summary.json)

missing=
for tool in wrk nginx curl go; do
  command -v "$tool" >/dev/null || PATH=$PATH:/usr/sbin:/sbin command -v "$tool" >/dev/null || missing="$missing $tool"
done
if [ -n "$missing" ]; then
  echo "status.sh: missing:$missing" >&2
  echo "  Debian/Ubuntu: apt-get install -y wrk nginx-light curl   (nginx-light or nginx; Go from go.dev)" >&2
  exit 1
fi
NGINX=$(PATH=$PATH:/usr/sbin:/sbin command -v nginx)

# wrk, nginx and firebreak each hold one descriptor per connection of the
# big run: raise the soft limit before starting anything.
need=$((BIG_CONNS + 1024))
ulimit -Sn "$need" 2>/dev/null || ulimit -n "$need" 2>/dev/null || ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true
big=1
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge "$need" ] || big=0

work=$(mktemp -d)
chmod 755 "$work" # nginx workers may run as nobody
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 10000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
wait_http() { # url
  for _ in $(seq 1 200); do curl -fso /dev/null "$1" && return; sleep 0.05; done
  echo "status.sh: $1 did not come up" >&2; exit 1
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { # user+system clock ticks of a process and its children (nginx's workers)
  local p s=0 t
  for p in "$1" $(pgrep -P "$1" || true); do
    t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) || t=0 # gone meanwhile
    s=$((s + ${t:-0}))
  done
  echo "$s"
}
HZ=$(getconf CLK_TCK)

if [ -n "${FIREBREAK:-}" ]; then # a prebuilt binary (e.g. of another commit)
  cp "$FIREBREAK" "$work/firebreak"
else
  go build -o "$work/firebreak" ./cmd/firebreak
fi
go build -o "$work/statuspub" ./bench/statuspub

echo "# $(date -u +%FT%TZ) $(nproc) cores, $(go version | cut -d' ' -f3), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $("$NGINX" -v 2>&1 | cut -d' ' -f3)"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# wrk -t$THREADS -c$CONNS -d$DURATION per run; big run -c$BIG_CONNS -d$BIG_DURATION"

# --- firebreak: SQLite in $work, the demo page, a second user to approve ---
api_port=$(free_port)
pub_port=$(free_port)
api=http://127.0.0.1:$api_port
fb=http://127.0.0.1:$pub_port
export FIREBREAK_DATA=$work/data FIREBREAK_ADMIN_PASSWORD=bench-password-123 FIREBREAK_PASSWORD_MEMORY_KIB=64
"$work/firebreak" serve --demo --addr "127.0.0.1:$api_port" --public-addr "127.0.0.1:$pub_port" >"$work/serve.log" 2>&1 &
fb_pid=$!
pids+=("$fb_pid")
wait_http "$api/readyz"
wait_http "$fb/"
rss_start=$(rss_kib "$fb_pid")
author=$("$work/firebreak" token create --user admin)
curl -fsS -o /dev/null -H "Authorization: Bearer $author" -H 'Content-Type: application/json' \
  -d '{"name":"bench-approver","role":"commander","password":"bench-password-456"}' "$api/api/v1/users"
approver=$("$work/firebreak" token create --user bench-approver)
published=0
pub_failed=0
publisher() { # label: one update per second for DURATION-ish, in the background
  "$work/statuspub" -url "$api" -public "$fb" -author "$author" -approver "$approver" \
    -duration "$2" -label "$1" >"$work/pub-$1.log" 2>&1 &
  pub_pid=$!
  pids+=("$pub_pid")
}
publisher_done() { # label
  wait "$pub_pid" || true
  local n f
  n=$(sed -n 's/.*published \([0-9]*\) updates.*/\1/p' "$work/pub-$1.log")
  published=$((published + ${n:-0}))
  f=$(sed -n 's/.*updates (\([0-9]*\) failed).*/\1/p' "$work/pub-$1.log")
  pub_failed=$((pub_failed + ${f:-1}))
  sed 's/^/    /' "$work/pub-$1.log"
}

# --- nginx: the exported site, same bytes for the measured paths ---
ng_port=$(free_port)
ng=http://127.0.0.1:$ng_port
site=$work/site
"$work/firebreak" status export --public-url "$fb" "$site" >/dev/null
mkdir -p "$work/nginx/tmp"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes $(nproc);
worker_rlimit_nofile $(ulimit -n);
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
daemon off;
events { worker_connections $(ulimit -n); }
http {
  types { text/html html; application/json json; text/css css; text/javascript js; }
  charset utf-8;
  charset_types application/json;
  access_log off;
  client_body_temp_path $work/nginx/tmp/body;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 60s;
  keepalive_requests 1000000;
  open_file_cache max=64 inactive=60s;
  open_file_cache_valid 1s;
  gzip_static on;
  gzip_vary on;
  server {
    listen 127.0.0.1:$ng_port;
    root $site;
    index index.html;
    # the headers firebreak sends, so both answers are about the same size
    add_header Content-Security-Policy "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
    add_header X-Content-Type-Options nosniff;
    add_header Referrer-Policy no-referrer;
    add_header X-Frame-Options DENY;
    add_header Cross-Origin-Opener-Policy same-origin;
    add_header Cache-Control "public, max-age=30, stale-while-revalidate=30, stale-if-error=86400";
  }
}
EOF
"$NGINX" -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" &
ng_pid=$!
pids+=("$ng_pid")
wait_http "$ng/"

# sync_site makes nginx's copy of each measured path (and its .gz) the
# bytes firebreak serves right now; the page grows with every publish.
file_of() { case $1 in /) echo index.html;; *) echo "${1#/}";; esac; }
sync_site() {
  local t f
  for t in "${TARGETS[@]}"; do
    f=$site/$(file_of "$t")
    curl -fsS -o "$f.new" "$fb$t" && mv "$f.new" "$f"
    curl -fsS -H 'Accept-Encoding: gzip' -D "$f.hdr" -o "$f.gz.new" "$fb$t"
    if grep -qi '^content-encoding: *gzip' "$f.hdr"; then mv "$f.gz.new" "$f.gz"; else rm -f "$f.gz.new" "$f.gz"; fi
    rm -f "$f.hdr"
  done
  sleep 1.2 # past open_file_cache_valid: every worker looks at the new files
  for t in "${TARGETS[@]}"; do
    f=$site/$(file_of "$t")
    for _ in 1 2 3 4; do
      cmp -s "$f" <(curl -fsS "$ng$t") && { [ ! -e "$f.gz" ] || cmp -s "$f.gz" <(curl -fsS -H 'Accept-Encoding: gzip' "$ng$t"); } ||
        { echo "status.sh: nginx does not serve firebreak's bytes for $t" >&2; exit 1; }
    done
  done
}

cat >"$work/report.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d\n", summary.requests, summary.duration,
    summary.bytes, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, e.status))
end
EOF
# bench name pid url encoding conns duration
#   -> "req/s p50_ms p99_ms max_ms bytes_per_response errors server_cpu_us_per_request"
bench() {
  local hdr=() c0 c1
  [ "$4" = gzip ] && hdr=(-H 'Accept-Encoding: gzip')
  c0=$(cpu_ticks "$2")
  wrk -t"$THREADS" -c"$5" -d"$6" --timeout 5s --latency -s "$work/report.lua" "${hdr[@]}" "$3" >"$work/wrk-$1.log" 2>&1
  c1=$(cpu_ticks "$2")
  awk -v cpu=$((c1 - c0)) -v hz="$HZ" '/^RESULT/ {printf "%.0f %.2f %.2f %.1f %.0f %d %.1f\n", $2/($3/1e6), $5/1000, $6/1000, $7/1000,
    $2 ? $4/$2 : 0, $8+$9, $2 ? cpu/hz*1e6/$2 : 0}' "$work/wrk-$1.log"
}

rows=()
for enc in $ENCODINGS; do
  for t in "${TARGETS[@]}"; do
    sync_site
    label=$enc${t//\//_}
    read -r n_rps n_p50 n_p99 n_max n_bytes n_err n_cpu < <(bench "nginx-$label" "$ng_pid" "$ng$t" "$enc" "$CONNS" "$DURATION")
    publisher "$label" "$DURATION"
    read -r f_rps f_p50 f_p99 f_max f_bytes f_err f_cpu < <(bench "firebreak-$label" "$fb_pid" "$fb$t" "$enc" "$CONNS" "$DURATION")
    publisher_done "$label"
    ratio=$(awk -v f="$f_rps" -v n="$n_rps" 'BEGIN {printf "%.2f", n ? f/n : 0}')
    verdict=$(awk -v r="$ratio" -v p="$f_p99" 'BEGIN {print (r >= 0.70 ? "ok" : "LOW") "/" (p < 10 ? "ok" : "SLOW")}')
    rows+=("$(printf '%-21s %-8s %8s %6s %6s %6s %6s  %8s %6s %6s %6s %6s  %5s  %s' "$t" "$enc" \
      "$f_rps" "$f_p50" "$f_p99" "$f_cpu" "$f_bytes" "$n_rps" "$n_p50" "$n_p99" "$n_cpu" "$n_bytes" "$ratio" "$verdict")")
    [ "$f_err" = 0 ] && [ "$n_err" = 0 ] || rows+=("    errors: firebreak $f_err, nginx $n_err (socket errors + non-2xx)")
  done
done
echo
echo "fb = firebreak, ngx = nginx; p50/p99 in ms; cpu = server CPU µs per request; B = bytes per response, headers included"
printf '%-21s %-8s %8s %6s %6s %6s %6s  %8s %6s %6s %6s %6s  %5s  %s\n' target encoding "fb req/s" p50 p99 cpu B \
  "ngx req/s" p50 p99 cpu B ratio "70%/p99<10ms"
printf '%s\n' "${rows[@]}"
echo "updates published during the firebreak runs: $published"
[ "$pub_failed" = 0 ] || echo "WARNING: publishing failed $pub_failed times (see above): the page was not updated every second"

# --- many connections: firebreak's RSS before, during and after ---
if [ "$big" = 0 ]; then
  echo "status.sh: ulimit -n is $(ulimit -n), below the $need descriptors of a $BIG_CONNS-connection run; skipped (raise the hard limit)" >&2
  exit 0
fi
echo
rss_before=$(rss_kib "$fb_pid")
( while sleep 1; do rss_kib "$fb_pid"; done ) >"$work/rss.log" 2>/dev/null &
sampler=$!
pids+=("$sampler")
publisher big "$BIG_DURATION"
read -r b_rps b_p50 b_p99 b_max b_bytes b_err b_cpu < <(bench "big" "$fb_pid" "$fb/" identity "$BIG_CONNS" "$BIG_DURATION")
kill "$sampler" 2>/dev/null || true
publisher_done big
rss_max=$(sort -n "$work/rss.log" | tail -1)
rss_samples=$(tr '\n' ' ' <"$work/rss.log")
after=
for _ in 1 2 3 4 5; do sleep 1; after="$after $(rss_kib "$fb_pid")"; done
rss_after=${after##* }
echo "$BIG_CONNS connections on / (identity), wrk -t$THREADS -d$BIG_DURATION: $b_rps req/s, p50 $b_p50 ms, p99 $b_p99 ms, max $b_max ms, errors $b_err"
echo "firebreak RSS: at start $((rss_start / 1024)) MiB, before $((rss_before / 1024)) MiB, max during $((${rss_max:-0} / 1024)) MiB, 5 s after $((rss_after / 1024)) MiB"
echo "  samples (KiB, 1/s) during: $rss_samples"
echo "  after:$after"
grep -h 'Socket errors' "$work/wrk-big.log" || true
echo "updates published in all: $published"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
