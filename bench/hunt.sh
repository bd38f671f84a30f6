#!/usr/bin/env bash
# Hunt throughput on a generated IIS log, against grep -F -f in the same run.
# Firebreak gets 100k IP indicators (IPv4, IPv6, CIDR), 10k string
# indicators and its built-in Sigma rules; grep gets only the 10k strings.
# Targets (DESIGN.md §6): >= 1 GB/s on 2 cores from page cache; faster than
# grep -F -f; memory <= 256 MiB.
# Usage: bash bench/hunt.sh   (env: SIZE=1073741824 WORK=/tmp/fb-hunt-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-1073741824}
WORK=${WORK:-/tmp/fb-hunt-bench}
mkdir -p "$WORK"
go build -o "$WORK/firebreak" ./cmd/firebreak
go build -o "$WORK/genlog" ./bench/genlog
if [ ! -s "$WORK/u_ex_bench.log" ] || [ "$(stat -c %s "$WORK/u_ex_bench.log")" -lt "$SIZE" ]; then
  "$WORK/genlog" -size "$SIZE" -dir "$WORK"
fi
LOG="$WORK/u_ex_bench.log"
BYTES=$(stat -c %s "$LOG")
cat "$LOG" > /dev/null   # into the page cache
echo "# $(date -u +%FT%TZ) $(nproc) cores, $(go version | cut -d' ' -f3), log $((BYTES/1048576)) MiB, $(wc -l < "$WORK/ips.txt") IP + $(wc -l < "$WORK/strings.txt") string indicators"

t() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); echo "$e - $s" | bc; }

# Firebreak: everything. /usr/bin/time -f reports max RSS in KiB.
/usr/bin/time -f '%M' -o "$WORK/fb.rss" true 2>/dev/null || true
FB=$( { /usr/bin/time -f '%e %M' "$WORK/firebreak" hunt --progress never --format jsonl \
        --iocs "$WORK/ips.txt" --iocs "$WORK/strings.txt" "$LOG" > "$WORK/fb.out" || [ $? -eq 1 ]; } 2>&1 | tail -1)
FB_S=${FB% *}; FB_KB=${FB#* }
# grep: only the string indicators, output to a file (with /dev/null GNU grep stops at the first match).
GR_S=$( { /usr/bin/time -f '%e' grep -F -f "$WORK/strings.txt" "$LOG" > "$WORK/grep.out" || true; } 2>&1 | tail -1)
printf 'firebreak hunt: %6.2f s  %7.0f MB/s  max RSS %d MiB  findings %d\n' "$FB_S" "$(echo "$BYTES/1000000/$FB_S" | bc -l)" $((FB_KB/1024)) "$(wc -l < "$WORK/fb.out")"
printf 'grep -F -f:     %6.2f s  %7.0f MB/s  matching lines %d\n' "$GR_S" "$(echo "$BYTES/1000000/$GR_S" | bc -l)" "$(wc -l < "$WORK/grep.out")"
printf 'ratio (grep time / firebreak time): %.1fx\n' "$(echo "$GR_S/$FB_S" | bc -l)"
