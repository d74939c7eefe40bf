#!/usr/bin/env bash
# deps.sh: check the packages that the given make goals need, and install the
# missing ones with apt-get.  Fast (no apt call) when everything is present.
# This is the only place that changes the machine's packages or apt
# configuration: the packages below (the arm64 ones through Debian multiarch:
# `dpkg --add-architecture arm64`), and deb-src entries beside the deb ones
# for `apt-get source curl cjson` (deploy/static-deps.sh builds the packaged
# bootstrap's static libcurl and cJSON from Debian's sources).
#
# Usage: scripts/deps.sh [--print] [ARCH=arm64] [GOAL...]
#   --print: list the Debian packages the goals need, one line, and stop
#   no goal (and the goals deps, bench): everything make test and make bench
#   need (what .ci/run installs on a fresh machine);
#   otherwise only what the goals need, e.g. make demo needs no cross
#   toolchain, qemu, valgrind or Debian sources.
set -euo pipefail

usage() {
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
}

# Package groups: what each needs installed.
#   build    compile and run the binaries, the demo and the local doubles
#   demo     make demo's report page (matplotlib)
#   browser  test-demo's check of that page: headless Chromium over the
#            DevTools protocol (websocket; PIL reads the screenshot)
#   node     the Node.js peers of the tests (tests/node, pinned by its lock
#            file: dynalite for DynamoDB, Confluent's Schema Registry client
#            for the registry formats), installed with npm ci
#   unit     the test suites' tools: cmocka, kcat, zip
#   package  the static package (make package): Debian sources, autotools
#   arm64    the arm64 package and its test under qemu
#   memory   valgrind (make test-memory)
#   bench    simdjson and valgrind (callgrind) for make bench
#   sklearn  scikit-learn, make bench-train's reference (make bench and
#            make bench-train only: not installed for make test or CI)
#   fuzz     clang (libFuzzer)
#   format   clang-format
ALL_GROUPS="build demo browser node unit package arm64 memory bench"

# The groups a goal needs.
groups_for() {
    local goal=$1 arch=$2
    case "$goal" in
    deps | bench-deploy) echo "$ALL_GROUPS" ;;
    bench) echo "$ALL_GROUPS sklearn" ;;
    bench-train) echo "build unit bench sklearn" ;;
    test) echo "build demo browser node unit package arm64" ;;
    test-package-arm64 | test-template) echo "build unit package arm64" ;;
    test-demo) echo "build demo browser node unit" ;;
    test-fleet-dynamodb | test-dynamodb | test-producer-schema-registry) echo "build node unit" ;;
    bench-*) echo "build unit package bench" ;;
    package | sam-artifacts | build-IrisScoringFunction)
        if [ "$arch" = arm64 ]; then echo "build package arm64"; else echo "build package"; fi ;;
    test-memory | memory-*) echo "build unit memory" ;;
    test-package) echo "build unit package" ;;
    test-*) echo "build unit" ;;
    fuzz | fuzz-*) echo "build fuzz" ;;
    format) echo "format" ;;
    clean | list-suites) echo "" ;;
    check-deps) echo "check" ;;
    demo) echo "build demo node" ;;
    all | invoke | batch-size | model | build/*) echo "build" ;;
    *) echo "$ALL_GROUPS" ;;
    esac
}

arch=${ARCH:-}
print=0
goals=()
for a in "$@"; do
    case "$a" in
    -h | --help) usage; exit 0 ;;
    --print) print=1 ;;
    ARCH=*) arch=${a#ARCH=} ;;
    -*) echo "deps.sh: unknown option '$a' (try --help)" >&2; exit 2 ;;
    *) goals+=("$a") ;;
    esac
done
[ ${#goals[@]} -gt 0 ] || goals=(deps)
declare -A want=()
for g in "${goals[@]}"; do
    for grp in $(groups_for "$g" "$arch"); do want[$grp]=1; done
done
has() { [ -n "${want[$1]:-}" ]; }

apt=() missing=() dpkg_check=() need_src=0 need_arm64=0
command_needed() { # command apt-package...
    local c=$1; shift
    apt+=("$@")
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
}
module_needed() { # pkg-config-module apt-package
    apt+=("$2")
    pkg-config --exists "$1" 2>/dev/null || missing+=("pkg-config:$1")
}

if has check || has build; then
    command_needed python3 python3
fi
if has build; then
    command_needed cc build-essential
    command_needed pkg-config pkg-config
    module_needed libcurl libcurl4-openssl-dev
    module_needed libcjson libcjson-dev
    module_needed rdkafka librdkafka-dev
    module_needed libcrypto libssl-dev
    # the Schema Registry formats: Avro (avro-c), Protobuf (protobuf-c)
    module_needed avro-c libavro-dev
    module_needed libprotobuf-c libprotobuf-c-dev
    command_needed protoc-c protobuf-c-compiler
    [ -f /usr/include/librdkafka/rdkafka_mock.h ] || missing+=(rdkafka_mock.h)
    apt+=(python3-botocore python3-yaml ca-certificates)
    /usr/bin/python3 -c 'import botocore, yaml' >/dev/null 2>&1 || missing+=(python3-botocore/yaml)
    [ -f /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
fi
if has demo; then
    apt+=(python3-matplotlib)
    # Found, not imported (importing matplotlib takes half a second).
    /usr/bin/python3 -c 'import importlib.util as u, sys; sys.exit(u.find_spec("matplotlib") is None)' \
        >/dev/null 2>&1 || missing+=(python3-matplotlib)
fi
if has sklearn; then
    apt+=(python3-sklearn)
    /usr/bin/python3 -c 'import importlib.util as u, sys; sys.exit(u.find_spec("sklearn") is None)' \
        >/dev/null 2>&1 || missing+=(python3-sklearn)
fi
if has browser; then
    apt+=(python3-pil python3-websocket chromium)
    /usr/bin/python3 -c 'import importlib.util as u, sys
sys.exit(any(u.find_spec(m) is None for m in ("PIL", "websocket")))' \
        >/dev/null 2>&1 || missing+=(python3-pil/websocket)
    [ -x /usr/lib/chromium/chromium ] || missing+=(chromium)
fi
need_node=0
if has node && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
    need_node=1
    apt+=(nodejs npm)
    missing+=(nodejs/npm)
fi
# npm ci in tests/node when its modules are missing or its lock file changed
# since (after apt, which may have just installed npm).
node_peers() {
    has node || return 0
    local dir
    dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/node"
    cmp -s "$dir/package-lock.json" "$dir/node_modules/.installed-lock" 2>/dev/null && return 0
    echo "deps: npm ci in tests/node (dynalite, @confluentinc/schemaregistry, from package-lock.json)" >&2
    # optional native LevelDB left out: the tests run dynalite in memory
    npm ci --prefix "$dir" --omit=optional --no-audit --no-fund >&2 &&
        cp "$dir/package-lock.json" "$dir/node_modules/.installed-lock"
}
if has unit; then
    module_needed cmocka libcmocka-dev
    command_needed kcat kcat
    command_needed zip zip
    command_needed unzip unzip
fi
if has memory; then
    module_needed cmocka libcmocka-dev
    command_needed valgrind valgrind
fi
if has bench; then
    module_needed simdjson libsimdjson-dev
    command_needed valgrind valgrind
fi
if has package; then
    command_needed zip zip
    apt+=(dpkg-dev autoconf automake libtool)
    dpkg_check+=(dpkg-dev autoconf automake libtool)
    need_src=1
fi
if has arm64; then
    command_needed aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
    command_needed qemu-aarch64-static qemu-user-static
    apt+=(libc6-dev-arm64-cross libssl-dev:arm64)
    dpkg_check+=(libc6-dev-arm64-cross libssl-dev:arm64 qemu-user-static)
    dpkg --print-foreign-architectures | grep -qx arm64 || need_arm64=1
fi
has fuzz && command_needed clang clang
has format && command_needed clang-format clang-format

# Checked with dpkg-query (no command or pkg-config module tells them apart).
# dpkg-query exits 1 when it knows none of the names (a fresh machine): not an error here.
if [ ${#dpkg_check[@]} -gt 0 ]; then
    installed=$({ dpkg-query -W -f '${binary:Package} ${db:Status-Status}\n' "${dpkg_check[@]}" \
        2>/dev/null || true; } | awk '$2 == "installed" { print $1 }')
    for p in "${dpkg_check[@]}"; do
        grep -qx -e "$p" -e "$p:$(dpkg --print-architecture)" <<<"$installed" || missing+=("$p")
    done
fi

# Source indexes for apt-get source: a deb-src entry and its downloaded index.
SOURCE_FILES=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources)
has_deb_src() {
    grep -Eqs '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' "${SOURCE_FILES[@]}"
}
if [ $need_src -eq 1 ] && has_deb_src && compgen -G '/var/lib/apt/lists/*_Sources*' >/dev/null; then
    need_src=0
fi

# Each package once, in order.
declare -A seen=()
packages=()
for p in "${apt[@]}"; do
    [ -n "${seen[$p]:-}" ] || { seen[$p]=1; packages+=("$p"); }
done
if [ $print -eq 1 ]; then
    echo "${packages[*]}"
    exit 0
fi

[ ${#missing[@]} -eq 0 ] && [ $need_src -eq 0 ] && [ $need_arm64 -eq 0 ] && { node_peers; exit 0; }

SUDO=
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=sudo
    else
        echo "deps: not root and no sudo; as root run scripts/deps.sh ${goals[*]} (it installs:" \
            "${packages[*]}; for the package it also adds deb-src entries, and the arm64" \
            "architecture for ARCH=arm64)" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive

if [ $need_arm64 -eq 1 ]; then
    echo "deps: adding the arm64 architecture (dpkg --add-architecture arm64)" >&2
    $SUDO dpkg --add-architecture arm64
fi
if [ $need_src -eq 1 ] && ! has_deb_src; then
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
echo "deps: installing: ${packages[*]}" >&2
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
node_peers
