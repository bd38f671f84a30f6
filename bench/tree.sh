#!/usr/bin/env bash
# File-tree hunt with YARA rules, against Debian's yara CLI in the same run.
# Generates a tree of FILES web-server-like files (.aspx/.js/.css/.dll-like,
# 1-64 KiB) with the synthetic web shell samples planted among them, warms
# the page cache, then times, on the same tree with the same rules
# (Firebreak's built-in internal/hunt/rules/toolshell.yar):
#   - yara -r (Debian's yara; its default thread count)
#   - bench/yarascan: internal/hunt/yara with one goroutine per core
#   - firebreak hunt --tree, once the hunt engine takes .yar rules
# and prints the ratios. Target (DESIGN.md §6): at least as fast as yara -r.
# Usage: bash bench/tree.sh   (env: FILES=50000 ROUNDS=3 WORK=/tmp/fb-tree-bench
#        TREE=$WORK/tree RULES=...)
# On the project's VM, DAMON pages out page cache that has been idle for a
# few seconds, so a tree under /tmp is partly read from disk again on every
# run; TREE=/dev/shm/fb-tree (tmpfs, never paged out without swap) measures
# the engines alone.
set -euo pipefail
cd "$(dirname "$0")/.."
FILES=${FILES:-50000}
WORK=${WORK:-/tmp/fb-tree-bench}
RULES=${RULES:-internal/hunt/rules/toolshell.yar}
ROUNDS=${ROUNDS:-3}
TREE=${TREE:-$WORK/tree}
if ! command -v yara >/dev/null 2>&1; then
  echo "bench/tree.sh needs Debian's yara CLI: apt-get install -y yara" >&2
  exit 2
fi
mkdir -p "$WORK"
go build -o "$WORK/gentree" ./bench/gentree
go build -o "$WORK/yarascan" ./bench/yarascan
go build -o "$WORK/firebreak" ./cmd/firebreak
PLANTED="$TREE.planted"   # written by gentree
if [ ! -f "$TREE.files" ] || [ "$(cat "$TREE.files")" != "$FILES" ]; then
  rm -rf "$TREE" "$PLANTED"
  "$WORK/gentree" -dir "$TREE" -files "$FILES" -plant internal/hunt/yara/testdata/malicious
  echo "$FILES" > "$TREE.files"
fi
NFILES=$(find "$TREE" -type f | wc -l)
BYTES=$(du -sb "$TREE" | cut -f1)
find "$TREE" -type f -print0 | xargs -0 cat > /dev/null   # into the page cache
echo "# $(date -u +%FT%TZ) $(nproc) cores, $(go version | cut -d' ' -f3), yara $(yara --version), tree $TREE: $NFILES files, $((BYTES/1048576)) MiB, $(wc -l < "$PLANTED") planted samples, rules $RULES"

# timed CMD...: runs CMD, prints "wall cpu" (cpu = user + system seconds).
timed() { /usr/bin/time -f '%e %U %S' -o "$WORK/time.txt" "$@"; awk '{printf "%s %.2f\n", $1, $2 + $3}' "$WORK/time.txt"; }
rate() { echo "$BYTES/1000000/$1" | bc -l; }
best() { printf '%s\n' "$@" | sort -g | head -1; }

# ROUNDS alternating runs of each; the best wall and CPU times count (the
# machine is shared). yara exits 0 whether or not it matched.
YW=(); YC=(); SW=(); SC=()
for r in $(seq 1 "$ROUNDS"); do
  read -r w c < <(timed sh -c "yara -r '$RULES' '$TREE' > '$WORK/yara.out'"); YW+=("$w"); YC+=("$c")
  read -r w c < <(timed sh -c "'$WORK/yarascan' -rules '$RULES' '$TREE' > '$WORK/yarascan.out' 2> '$WORK/yarascan.err'"); SW+=("$w"); SC+=("$c")
done
Y_S=$(best "${YW[@]}"); Y_C=$(best "${YC[@]}"); S_S=$(best "${SW[@]}"); S_C=$(best "${SC[@]}")
sort -o "$WORK/yara.out" "$WORK/yara.out"
sort -o "$WORK/yarascan.out" "$WORK/yarascan.out"
printf 'yara -r:             %6.2f s  %5.0f MB/s  cpu %6.2f s  matches %d   (wall: %s)\n' "$Y_S" "$(rate "$Y_S")" "$Y_C" "$(wc -l < "$WORK/yara.out")" "${YW[*]}"
printf 'yarascan (%d gor.):   %6.2f s  %5.0f MB/s  cpu %6.2f s  matches %d   (wall: %s)\n' "$(nproc)" "$S_S" "$(rate "$S_S")" "$S_C" "$(wc -l < "$WORK/yarascan.out")" "${SW[*]}"
if ! cmp -s "$WORK/yara.out" "$WORK/yarascan.out"; then
  echo "MISMATCH: yara and internal/hunt/yara disagree (diff $WORK/yara.out $WORK/yarascan.out)" >&2
  exit 1
fi
printf 'ratio (yara / yarascan): wall %.2fx, cpu %.2fx\n' "$(echo "$Y_S/$S_S" | bc -l)" "$(echo "$Y_C/$S_C" | bc -l)"

# firebreak hunt, when it takes YARA rules: probe with one planted sample.
PROBE="$WORK/probe"; rm -rf "$PROBE"; mkdir -p "$PROBE"; cp "$(head -1 "$PLANTED")" "$PROBE/"
rc=0; "$WORK/firebreak" hunt --progress never --format jsonl --no-builtin --rules "$RULES" --tree "$PROBE" > /dev/null 2>&1 || rc=$?
if [ "$rc" -ne 1 ]; then
  echo "firebreak hunt --rules $RULES --tree: not wired for YARA yet (probe exit $rc); skipped"
  exit 0
fi
FW=(); FC=()
for r in $(seq 1 "$ROUNDS"); do
  read -r w c < <(timed sh -c "'$WORK/firebreak' hunt --progress never --format jsonl --no-builtin --rules '$RULES' --tree '$TREE' > '$WORK/fb.out' || [ \$? -eq 1 ]"); FW+=("$w"); FC+=("$c")
done
F_S=$(best "${FW[@]}"); F_C=$(best "${FC[@]}")
printf 'firebreak hunt:      %6.2f s  %5.0f MB/s  cpu %6.2f s  findings %d   (wall: %s)\n' "$F_S" "$(rate "$F_S")" "$F_C" "$(wc -l < "$WORK/fb.out")" "${FW[*]}"
printf 'ratio (yara / firebreak): wall %.2fx, cpu %.2fx\n' "$(echo "$Y_S/$F_S" | bc -l)" "$(echo "$Y_C/$F_C" | bc -l)"
