#!/usr/bin/env bash
# Check the build and test dependencies; install the missing ones with apt-get.
# Fast (no apt call; 0.1 to 0.3 s here) when everything is present.  This is the only
# place that changes the machine's packages or apt configuration:
#   - the packages below (the arm64 ones through Debian multiarch: arm64 is added
#     with `dpkg --add-architecture arm64`);
#   - deb-src entries beside the deb ones, for `apt-get source curl cjson`
#     (deploy/static-deps.sh builds the packaged bootstrap's static libcurl and
#     cJSON from Debian's sources).
set -euo pipefail

PKG_MODULES=(libcurl libcjson rdkafka cmocka libcrypto simdjson)
APT_PACKAGES=(build-essential pkg-config libcurl4-openssl-dev libcjson-dev librdkafka-dev
              libcmocka-dev libssl-dev kcat python3 python3-botocore python3-yaml
              zip unzip ca-certificates valgrind libsimdjson-dev
              # deploy/static-deps.sh: curl's configure is regenerated from Debian's source
              dpkg-dev autoconf automake libtool
              # make package ARCH=arm64, and its test under qemu
              gcc-aarch64-linux-gnu libc6-dev-arm64-cross libssl-dev:arm64 qemu-user-static
              # make demo's report page (matplotlib), and test-demo's check of it in
              # headless Chromium over the DevTools protocol (websocket; PIL reads the screenshot)
              python3-matplotlib python3-pil python3-websocket chromium)
# Checked with dpkg-query (no command or pkg-config module tells them apart).
DPKG_PACKAGES=(dpkg-dev autoconf automake libtool libc6-dev-arm64-cross libssl-dev:arm64
               qemu-user-static)

missing=()
command -v cc >/dev/null 2>&1 || missing+=(cc)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if command -v pkg-config >/dev/null 2>&1; then
    for m in "${PKG_MODULES[@]}"; do
        pkg-config --exists "$m" || missing+=("pkg-config:$m")
    done
fi
for c in kcat zip unzip valgrind aarch64-linux-gnu-gcc qemu-aarch64-static; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
done
[ -f /usr/include/librdkafka/rdkafka_mock.h ] || missing+=(rdkafka_mock.h)
/usr/bin/python3 -c 'import botocore, yaml' >/dev/null 2>&1 || missing+=(python3-botocore/yaml)
# Found, not imported (importing matplotlib takes half a second).
/usr/bin/python3 -c 'import importlib.util as u, sys
sys.exit(any(u.find_spec(m) is None for m in ("matplotlib", "PIL", "websocket")))' \
    >/dev/null 2>&1 || missing+=(python3-matplotlib/pil/websocket)
[ -x /usr/lib/chromium/chromium ] || missing+=(chromium)
[ -f /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
# dpkg-query exits 1 when it knows none of a name (a fresh machine): not an error here.
installed=$({ dpkg-query -W -f '${binary:Package} ${db:Status-Status}\n' "${DPKG_PACKAGES[@]}" \
    2>/dev/null || true; } | awk '$2 == "installed" { print $1 }')
for p in "${DPKG_PACKAGES[@]}"; do
    grep -qx -e "$p" -e "$p:$(dpkg --print-architecture)" <<<"$installed" || missing+=("$p")
done

# Source indexes for apt-get source: a deb-src entry and its downloaded index.
SOURCE_FILES=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources)
has_deb_src() {
    grep -Eqs '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' "${SOURCE_FILES[@]}"
}
need_src=0
if ! has_deb_src || ! compgen -G '/var/lib/apt/lists/*_Sources*' >/dev/null; then
    need_src=1
fi
need_arm64=0
dpkg --print-foreign-architectures | grep -qx arm64 || need_arm64=1

# Node.js peers of the tests (tests/node/package.json, pinned by its lock file:
# dynalite for DynamoDB), installed with npm ci; Debian's nodejs and npm when
# the machine has no node at all.
need_node=0
{ command -v node && command -v npm; } >/dev/null 2>&1 || { need_node=1; missing+=(nodejs/npm); }
node_peers() {
    local dir
    dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/node"
    [ -f "$dir/node_modules/dynalite/package.json" ] && return 0
    echo "deps: npm ci in tests/node (dynalite, from package-lock.json)" >&2
    # optional native LevelDB left out: the tests run dynalite in memory
    npm ci --prefix "$dir" --omit=optional --no-audit --no-fund >&2
}

[ ${#missing[@]} -eq 0 ] && [ $need_src -eq 0 ] && [ $need_arm64 -eq 0 ] && { node_peers; exit 0; }

SUDO=
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=sudo
    else
        echo "deps: not root and no sudo; as root run scripts/deps.sh (it installs:" \
            "${APT_PACKAGES[*]}, adds the arm64 architecture and deb-src entries)" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive

if [ $need_arm64 -eq 1 ]; then
    echo "deps: adding the arm64 architecture (dpkg --add-architecture arm64)" >&2
    $SUDO dpkg --add-architecture arm64
fi
if ! has_deb_src; then
    # deb-src twins of the machine's deb entries (deb822 or one-line format).
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        srcfile=/etc/apt/sources.list.d/iris-deb-src.sources
        echo "deps: adding deb-src entries: $srcfile" >&2
        sed -e 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
            $SUDO tee "$srcfile" >/dev/null
    elif [ -f /etc/apt/sources.list ]; then
        srcfile=/etc/apt/sources.list.d/iris-deb-src.list
        echo "deps: adding deb-src entries: $srcfile" >&2
        sed -n -e 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list | $SUDO tee "$srcfile" >/dev/null
    else
        echo "deps: no apt sources to derive deb-src entries from; add deb-src lines for" \
            "Debian's main archive and rerun" >&2
        exit 1
    fi
fi

[ ${#missing[@]} -eq 0 ] || echo "deps: missing ${missing[*]}" >&2
[ $need_node -eq 0 ] || APT_PACKAGES+=(nodejs npm)
echo "deps: installing: ${APT_PACKAGES[*]}" >&2
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >&2
node_peers
