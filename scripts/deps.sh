#!/usr/bin/env bash
# Check the build and test dependencies; install the missing ones with apt-get.
# Fast (no apt call) when everything is present.
set -euo pipefail

PKG_MODULES=(libcurl libcjson rdkafka cmocka libcrypto simdjson)
APT_PACKAGES=(build-essential pkg-config libcurl4-openssl-dev libcjson-dev librdkafka-dev
              libcmocka-dev libssl-dev kcat python3 python3-botocore python3-yaml
              zip unzip ca-certificates valgrind libsimdjson-dev)

missing=()
command -v cc >/dev/null 2>&1 || missing+=(cc)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if command -v pkg-config >/dev/null 2>&1; then
    for m in "${PKG_MODULES[@]}"; do
        pkg-config --exists "$m" || missing+=("pkg-config:$m")
    done
fi
for c in kcat zip unzip valgrind; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
done
[ -f /usr/include/librdkafka/rdkafka_mock.h ] || missing+=(rdkafka_mock.h)
/usr/bin/python3 -c 'import botocore, yaml' >/dev/null 2>&1 || missing+=(python3-botocore/yaml)
[ -f /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)

[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: missing ${missing[*]}; installing: ${APT_PACKAGES[*]}" >&2
SUDO=
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=sudo
    else
        echo "deps: not root and no sudo; run as root: apt-get install -y ${APT_PACKAGES[*]}" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >&2
