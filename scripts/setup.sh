#!/usr/bin/env bash
# One-time setup of a fresh Debian/Ubuntu machine for vtx, then `pnpm install`. Idempotent.
#   system packages: ffmpeg (video datasets), libopenblas0-pthread (fast GEMM for the native backend),
#                    g++/make/python3 (building the native addon), slurm-wlm + munge (the local Slurm cluster the
#                    sweep tests start), chromium + fonts-liberation (the browser end-to-end tests), openmpi-bin +
#                    libopenmpi-dev (data-parallel training over MPI; @vtx/mpi builds against it)
#   pnpm 10.x (Node 20 cannot run pnpm 11+; corepack cannot verify registry signatures here)
# Set VTX_SKIP_APT=1 to skip the apt step (e.g. no root); everything still works on the wasm backend, and the
# video-builder tests then need VTX_SKIP_FFMPEG=1.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(ffmpeg libopenblas0-pthread g++ make python3 slurm-wlm munge chromium fonts-liberation openmpi-bin libopenmpi-dev)

if [ "${VTX_SKIP_APT:-0}" != "1" ] && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    echo "setup: installed ${missing[*]}"
  fi
fi

want="$(node -p "require('./package.json').packageManager.split('@')[1]")"
if [ "$(pnpm --version 2>/dev/null || true)" != "$want" ]; then
  npm install -g "pnpm@$want" >/dev/null 2>&1
  echo "setup: pnpm $(pnpm --version)"
fi

if [ "${CI:-}" = "true" ]; then pnpm install --frozen-lockfile; else pnpm install; fi
