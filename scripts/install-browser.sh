#!/usr/bin/env bash
# Install Debian's headless-capable Chromium for the browser end-to-end tests (playwright-core drives it through
# its executablePath; no Playwright browser download). Idempotent: does nothing when a chromium binary is on PATH
# or at $VTX_CHROMIUM. Needs root (or sudo) and apt. Prints the binary's path and version.
set -euo pipefail

find_chromium() {
  for c in "${VTX_CHROMIUM:-}" chromium chromium-browser; do
    [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && { command -v "$c"; return 0; }
  done
  return 1
}

if bin="$(find_chromium)"; then
  echo "chromium already installed: $bin ($("$bin" --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-browser: need root or sudo to apt-get install chromium" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# fonts-liberation: legible text in dashboard screenshots
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
bin="$(find_chromium)"
echo "installed: $bin ($("$bin" --version 2>/dev/null || echo 'version unknown'))"
