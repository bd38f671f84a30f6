#!/usr/bin/env bash
# Hunt throughput on a generated IIS log, against grep -F -f in the same run.
# Firebreak gets 100k IP indicators (IPv4, IPv6, CIDR), 10k string
# indicators and its built-in Sigma rules; grep gets only the 10k strings.
# Targets (DESIGN.md §6): >= 1 GB/s on 2 cores from page cache; faster than
# grep -F -f; memory <= 256 MiB.
# Usage: bash bench/hunt.sh   (env: SIZE=1073741824 WORK=/tmp/fb-hunt-bench RUNS=5)
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

# Firebreak: everything, RUNS times (the machine is noisy: min and median are
# printed). /usr/bin/time -f reports max RSS in KiB.
RUNS=${RUNS:-5}
: > "$WORK/fb.runs"
for i in $(seq "$RUNS"); do
  FB=$( { /usr/bin/time -f '%e %M' "$WORK/firebreak" hunt --progress never --format jsonl \
          --iocs "$WORK/ips.txt" --iocs "$WORK/strings.txt" "$LOG" > "$WORK/fb.out" || [ $? -eq 1 ]; } 2>&1 | tail -1)
  echo "$FB" >> "$WORK/fb.runs"
  printf 'firebreak hunt run %d: %6.2f s  %7.0f MB/s  max RSS %d MiB\n' "$i" "${FB% *}" "$(echo "$BYTES/1000000/${FB% *}" | bc -l)" $((${FB#* }/1024))
done
FB_MIN=$(sort -n "$WORK/fb.runs" | head -1 | cut -d' ' -f1)
FB_MED=$(sort -n "$WORK/fb.runs" | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
FB_KB=$(sort -k2 -n "$WORK/fb.runs" | tail -1 | cut -d' ' -f2)
# grep: only the string indicators, output to a file (with /dev/null GNU grep stops at the first match).
GR_S=$( { /usr/bin/time -f '%e' grep -F -f "$WORK/strings.txt" "$LOG" > "$WORK/grep.out" || true; } 2>&1 | tail -1)
printf 'firebreak hunt: median %.2f s  %7.0f MB/s  (best %.2f s, %.0f MB/s)  max RSS %d MiB  findings %d\n' \
  "$FB_MED" "$(echo "$BYTES/1000000/$FB_MED" | bc -l)" "$FB_MIN" "$(echo "$BYTES/1000000/$FB_MIN" | bc -l)" $((FB_KB/1024)) "$(wc -l < "$WORK/fb.out")"
printf 'grep -F -f:     %6.2f s  %7.0f MB/s  matching lines %d\n' "$GR_S" "$(echo "$BYTES/1000000/$GR_S" | bc -l)" "$(wc -l < "$WORK/grep.out")"
printf 'ratio (grep time / firebreak median time): %.1fx\n' "$(echo "$GR_S/$FB_MED" | bc -l)"
