#!/usr/bin/env bash
# The whole test suite (`npm test`): installs what npm does not bring, then type-checks, runs the unit
# and kernel tests (real WebGPU in Node through Dawn), builds the app and runs the end-to-end tests in
# headless Chromium. Works on a fresh Debian machine as root.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Chromium brings SwiftShader, the software Vulkan both the browser and Dawn use here;
# libvulkan1 is the Vulkan loader Dawn needs in Node.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 ' || missing+=(libvulkan1)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} (Debian packages the tests need)..."
  sudo_=()
  [ "$(id -u)" -eq 0 ] || sudo_=(sudo)
  "${sudo_[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A node_modules that is a link (several checkouts sharing one install) is left alone: npm ci would
# empty the folder it points to, under every checkout that uses it.
if [ -L node_modules ]; then
  echo "node_modules is a link to $(readlink node_modules): using it as it is (run npm ci there to refresh it)"
elif [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

echo "== typecheck"
npx tsc --noEmit
echo "== unit and kernel tests"
npx vitest run
echo "== build"
npx vite build --logLevel warn
echo "== end-to-end tests"
npx vitest run --config e2e/vitest.config.ts
