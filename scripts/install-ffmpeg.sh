#!/usr/bin/env bash
# Install the Debian ffmpeg CLI (ffmpeg + ffprobe) that @vtx/data's video builder spawns.
# Idempotent: does nothing when ffmpeg is already on PATH. Needs root (or sudo) and apt.
set -euo pipefail

if command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1; then
  echo "ffmpeg already installed: $(ffmpeg -hide_banner -version | head -n1)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-ffmpeg: need root or sudo to apt-get install ffmpeg" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
echo "installed: $(ffmpeg -hide_banner -version | head -n1)"
