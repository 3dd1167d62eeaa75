#!/usr/bin/env bash
# The HTML export of a 10,000-event run, as figures, never as pass/fail (targets: ≤ 1 s to
# write, ≤ 2 s for headless Chromium to open):
#   (i)   write: `cifstep trace --until 10000 -o run.html`'s own timing of the writing (the run
#         is timed apart), median of RUNS runs of the release build;
#   (ii)  open: wall time of `chromium --headless --dump-dom` on the page, minus the same on an
#         empty page (the browser's own start), median of RUNS; and the page's own figure —
#         performance.now() when its script has finished (`data-ready-ms`);
#   (iii) the page's size, and the same run's JSON size for comparison.
#
#   Benchmarks/html-export.sh
#   RUNS=9 Benchmarks/html-export.sh
#   BIN=.build/debug/cifstep Benchmarks/html-export.sh     # skip the release build
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
EVENTS=${EVENTS:-10000}
scenario=(--auth ntlmssp --signing on --file random-16m.bin --until "$EVENTS")

if [[ -z ${BIN:-} ]]; then
  echo "html-export: building cifstep (release)" >&2
  swift build -c release --product cifstep >&2
  BIN="$(swift build -c release --show-bin-path)/cifstep"
fi
command -v chromium >/dev/null || { echo "html-export: chromium is missing (scripts/install-deps --test)" >&2; exit 1; }

work=$(mktemp -d /tmp/cifstep-html-export.XXXXXX)
trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }

echo "html-export: $RUNS runs of: cifstep trace ${scenario[*]} -o run.html" >&2
for i in $(seq "$RUNS"); do
  "$BIN" trace "${scenario[@]}" -o "$work/run.html" --force 2>"$work/summary"
  cat "$work/summary" >&2
  # "... 4123456 bytes to /tmp/.../run.html in 0.123 s"
  sed -E 's/.* in ([0-9.]+) s$/\1/' "$work/summary" >>"$work/write"
done
"$BIN" trace "${scenario[@]}" -o "$work/run.json" --force 2>/dev/null
printf '<!DOCTYPE html><html><body>empty</body></html>\n' >"$work/empty.html"

open_page() {  # wall seconds of one headless dump of $1; the DOM goes to $2
  local start end
  start=$(now)
  chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$work/profile" \
    --dump-dom "file://$1" >"$2" 2>/dev/null
  end=$(now)
  echo "$end - $start" | bc -l
}
echo "html-export: $RUNS headless opens of the page and of an empty page" >&2
for i in $(seq "$RUNS"); do
  open_page "$work/empty.html" "$work/empty.dom" >>"$work/empty"
  open_page "$work/run.html" "$work/run.dom" >>"$work/open"
  grep -o 'data-ready-ms="[0-9]*"' "$work/run.dom" | grep -o '[0-9]*' >>"$work/ready"
done
grep -q 'data-errors=' "$work/run.dom" && echo "html-export: the page reported errors!" >&2

events=$(grep -o 'id="event-' "$work/run.dom" | wc -l)
write=$(median <"$work/write")
open=$(median <"$work/open")
empty=$(median <"$work/empty")
ready=$(median <"$work/ready")
printf 'events in the page          %d\n' "$events"
printf 'page size                   %.1f MiB (the JSON of the same run: %.1f MiB)\n' \
  "$(echo "$(stat -c %s "$work/run.html") / 1048576" | bc -l)" "$(echo "$(stat -c %s "$work/run.json") / 1048576" | bc -l)"
printf 'write the HTML (median)     %.3f s   (target ≤ 1 s)\n' "$write"
printf 'open in chromium (median)   %.3f s   (wall %.3f s − empty page %.3f s; target ≤ 2 s)\n' \
  "$(echo "$open - $empty" | bc -l)" "$open" "$empty"
printf 'script done (median)        %d ms after navigation start (performance.now())\n' "$ready"
