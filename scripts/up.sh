#!/usr/bin/env bash
# One command from a fresh checkout to a running StreamForge on embedded defaults:
# checks Node, installs ffmpeg when it is missing (apt, when we may), installs and builds, starts.
set -euo pipefail
cd "$(dirname "$0")/.."

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  echo "StreamForge needs Node.js 20 or newer (found: $(node -v 2>/dev/null || echo none))." >&2
  exit 1
fi

if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; then
    echo "Installing ffmpeg from Debian's packages…" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null
  elif command -v apt-get >/dev/null && command -v sudo >/dev/null; then
    echo "Installing ffmpeg with sudo apt-get…" >&2
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null
  else
    echo "ffmpeg and ffprobe are required but not on PATH. Install them (Debian/Ubuntu: apt-get install ffmpeg;" >&2
    echo "macOS: brew install ffmpeg) or point FFMPEG_PATH / FFPROBE_PATH at them, then run this again." >&2
    exit 1
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm run build
fi
exec npm start
