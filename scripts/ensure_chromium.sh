#!/usr/bin/env bash
# Makes sure the browser tests can run: they drive Debian's Chromium at /usr/bin/chromium
# through Playwright (Playwright's own browser download cannot work here). As root, install
# what is missing; otherwise stop and say how. Never let the browser tests be skipped silently.
#
# Also installs libharfbuzz-subset0 where it can: WeasyPrint renders small PDFs about 3x faster
# with it (and without a deprecation warning). It is optional, so its absence only warns.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

missing=()
[[ -x "$CHROMIUM" ]] || missing+=(chromium)
if command -v dpkg >/dev/null && ! dpkg -s libharfbuzz-subset0 >/dev/null 2>&1; then
    missing+=(libharfbuzz-subset0)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "==> Installing ${missing[*]} with apt-get (Chromium takes about 30 s)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
    if [[ ! -x "$CHROMIUM" ]]; then
        echo "apt-get installed chromium but $CHROMIUM is still missing." >&2
        exit 1
    fi
    exit 0
fi

if [[ ! -x "$CHROMIUM" ]]; then
    cat >&2 <<EOF

The browser tests need Chromium at $CHROMIUM, and it is not installed.
'make test' installs it by itself when run as root on Debian. On Debian, install it with:

    sudo apt-get install -y chromium libharfbuzz-subset0

Elsewhere, install Chromium and make $CHROMIUM run it (a symbolic link will do).
Then run 'make test' again. (Playwright's own browser download is not used.)

EOF
    exit 1
fi

echo "Note: libharfbuzz-subset0 is not installed; PDFs will render more slowly." \
     "Install it with: sudo apt-get install -y libharfbuzz-subset0" >&2
