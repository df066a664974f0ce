#!/usr/bin/env bash
# The whole benchmark on a Linux machine with a real GPU, headless: Node drives the GPU through Dawn
# and the vendor's Vulkan driver (no browser). Runs `npm run bench -- --json` at each size in
# BENCH_SIZES (default: tiny small 135m) and writes one JSON file:
#   {"host", "date", "node", "results": {"tiny": {...}, "small": {...}, "135m": {...}}}
# usage: bash bench/gpu.sh [OUT.json]        (default bench/results-<hostname>.json)
# Extra flags for every run go in BENCH_FLAGS, e.g. BENCH_FLAGS="--reps 9 --budget 900".
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-bench/results-$(hostname).json}"
sizes="${BENCH_SIZES:-tiny small 135m}"

if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
  echo "bench/gpu.sh: the Vulkan loader (libvulkan.so.1) is missing: apt-get install -y libvulkan1" >&2
  exit 2
fi

# The engine falls back to Chromium's SwiftShader when no Vulkan driver is chosen (src/gpu/node.ts);
# here the GPU's own driver is chosen explicitly, every hardware ICD the loader would find.
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -z "${VK_ICD_FILENAMES:-}" ]; then
  icds=()
  for dir in /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
    for f in "$dir"/*.json; do
      [ -e "$f" ] || continue
      case "$(basename "$f")" in
        *swiftshader* | lvp_* | *lavapipe*) ;; # software rasterisers
        *) icds+=("$f") ;;
      esac
    done
  done
  if [ ${#icds[@]} -eq 0 ]; then
    echo "bench/gpu.sh: no hardware Vulkan driver found in /etc/vulkan/icd.d or /usr/share/vulkan/icd.d" >&2
    echo "  (NVIDIA: the driver's nvidia_icd.json; AMD/Intel: mesa-vulkan-drivers), or set VK_DRIVER_FILES" >&2
    exit 2
  fi
  VK_DRIVER_FILES="$(IFS=:; echo "${icds[*]}")"
  export VK_DRIVER_FILES
fi
echo "bench/gpu.sh: Vulkan drivers: $VK_DRIVER_FILES" >&2

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for size in $sizes; do
  echo "bench/gpu.sh: size $size" >&2
  # shellcheck disable=SC2086
  if npm run -s bench -- --size "$size" --json ${BENCH_FLAGS:-} > "$tmp/$size.out"; then
    tail -n 1 "$tmp/$size.out" > "$tmp/$size.json"
    head -n -1 "$tmp/$size.out" >&2
  else
    echo "bench/gpu.sh: size $size failed (exit $?)" >&2
    cat "$tmp/$size.out" >&2
  fi
done

node - "$out" "$tmp" $sizes <<'JS'
const fs = require('node:fs');
const os = require('node:os');
const [out, dir, ...sizes] = process.argv.slice(2);
const results = {};
for (const size of sizes) {
  const file = `${dir}/${size}.json`;
  results[size] = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : { error: 'the run failed; see the log' };
  if (results[size].adapter?.isFallbackAdapter) console.error(`bench/gpu.sh: size ${size} ran on a fallback (software) adapter: ${results[size].adapter.name}`);
}
fs.writeFileSync(out, JSON.stringify({ host: os.hostname(), date: new Date().toISOString(), node: process.version, results }, null, 2) + '\n');
console.error(`bench/gpu.sh: wrote ${out}`);
JS
