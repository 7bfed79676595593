#!/usr/bin/env bash
# Browser tests drive Debian's chromium through chromium-driver (matching versions).
# Install them when missing and we can (root with apt-get); otherwise say what to do.
set -euo pipefail
[ -x /usr/bin/chromedriver ] && [ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing chromium and chromium-driver for the browser tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
else
  echo "Browser tests need Debian's chromium and chromium-driver: sudo apt-get install chromium chromium-driver" >&2
fi
