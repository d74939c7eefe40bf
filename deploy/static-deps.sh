#!/usr/bin/env bash
# static-deps.sh: build, once per architecture, the static libraries the packaged
# bootstrap links:
#   - libcurl: HTTP and HTTPS only, OpenSSL, threaded resolver, nothing else
#     (no IDN, PSL, brotli, zstd, zlib, nghttp2, LDAP, SSH, GSS, proxy, cookies...),
#     from Debian's curl source package (Debian's patches, minus the GnuTLS/NSS ones
#     that only Debian's other flavours use);
#   - cJSON (libcjson.a), from Debian's cjson source package;
#   - OpenSSL: Debian's own libssl.a/libcrypto.a from libssl-dev (libssl-dev:arm64
#     for arm64, a multiarch package), copied in.
#
# ARCH=x86_64 (default) builds with gcc; ARCH=arm64 cross-builds with Debian's
# aarch64-linux-gnu-gcc.  Nothing is installed here: scripts/deps.sh (run by every
# make goal) installs the tools, the cross toolchain, libssl-dev:arm64 and the
# deb-src entries `apt-get source` needs; this script only says what is missing.
#
# The sources are the exact versions of the installed -dev packages, so the static
# libraries match the headers the dynamic build/bootstrap compiles against.  The
# result lives in a cache directory keyed by those versions and by RECIPE below:
#   ${IRIS_STATIC_CACHE:-$HOME/.cache/iris-lambda/static}/<key>/{include,lib}
# A second run finds it and returns at once.
#
# Usage: [ARCH=arm64] deploy/static-deps.sh   build if needed, print the prefix on stdout
#        deploy/static-deps.sh --prefix   print the prefix only (nothing is built)
#        deploy/static-deps.sh --check    exit 0 if the prefix is complete, else 1
# Everything else (progress, apt output) goes to stderr.
set -euo pipefail

# Bump when the configure options or the build steps change.
RECIPE=1

CACHE=${IRIS_STATIC_CACHE:-${HOME:-/root}/.cache/iris-lambda/static}
MODE=${1:-build}

log() { printf 'static-deps: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# The target: Debian architecture, GNU triplet, compiler.
ARCH=${ARCH:-x86_64}
case "$ARCH" in
x86_64 | amd64) ARCH=x86_64 DEB_ARCH=amd64 TRIPLET=x86_64-linux-gnu CC=gcc HOST= ;;
arm64 | aarch64) ARCH=arm64 DEB_ARCH=arm64 TRIPLET=aarch64-linux-gnu CC=aarch64-linux-gnu-gcc
    HOST=aarch64-linux-gnu ;;
*) die "ARCH=$ARCH: expected x86_64 or arm64" ;;
esac

# Installed version of a Debian package (name or name:arch), empty when not installed.
installed_version() {
    dpkg-query -W -f '${db:Status-Status} ${Version}\n' "$1" 2>/dev/null |
        awk '$1 == "installed" { print $2; exit }'
}

# The -dev packages whose versions key the cache (and whose sources we build),
# and the tools the build runs.  autoconf/automake/libtool: Debian's curl
# patches touch configure.ac, so configure is regenerated (as debian/rules does).
missing=()
for p in libcurl4-openssl-dev libcjson-dev "libssl-dev:$DEB_ARCH" dpkg-dev make autoconf \
    automake libtool pkg-config; do
    [ -n "$(installed_version "$p")" ] || missing+=("$p")
done
command -v "$CC" >/dev/null 2>&1 || missing+=("$CC")
[ ${#missing[@]} -eq 0 ] ||
    die "not installed: ${missing[*]}; run scripts/deps.sh (as root or with sudo) to install them"
CURL_VER=$(installed_version libcurl4-openssl-dev)
CJSON_VER=$(installed_version libcjson-dev)
OPENSSL_VER=$(installed_version "libssl-dev:$DEB_ARCH")

key="curl-${CURL_VER}_cjson-${CJSON_VER}_openssl-${OPENSSL_VER}_${DEB_ARCH}_r${RECIPE}"
key=${key//[^A-Za-z0-9._+-]/_}
PREFIX="$CACHE/$key"

case "$MODE" in
--prefix)
    echo "$PREFIX"
    exit 0
    ;;
--check)
    [ -f "$PREFIX/.complete" ]
    exit
    ;;
build) ;;
-h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 0
    ;;
*) die "unknown option '$MODE' (try --help)" ;;
esac

if [ -f "$PREFIX/.complete" ]; then
    echo "$PREFIX"
    exit 0
fi

mkdir -p "$CACHE"
# One builder at a time (parallel makes, sam build beside make test).
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
    log "another build is running; waiting for $CACHE/.lock"
    flock 9
fi
if [ -f "$PREFIX/.complete" ]; then
    echo "$PREFIX"
    exit 0
fi

start=$(date +%s.%N)
log "building static curl $CURL_VER, cJSON $CJSON_VER, OpenSSL $OPENSSL_VER for $ARCH into $PREFIX"

# apt-get source needs deb-src entries (scripts/deps.sh adds them).
has_src() {
    apt-cache showsrc curl 2>/dev/null | grep -Fx "Version: $CURL_VER" >/dev/null &&
        apt-cache showsrc cjson 2>/dev/null | grep -Fx "Version: $CJSON_VER" >/dev/null
}
has_src || die "apt cannot find the sources of curl=$CURL_VER and cjson=$CJSON_VER: run " \
    "scripts/deps.sh (it adds deb-src entries and runs apt-get update); if it still fails, " \
    "upgrade the -dev packages (apt-get install libcurl4-openssl-dev libcjson-dev) and retry"

work=$(mktemp -d "$CACHE/.work.XXXXXX")
stage="$work/stage"
trap 'rm -rf "$work"' EXIT
cd "$work"
log "apt-get source curl=$CURL_VER cjson=$CJSON_VER"
apt-get source -qq "curl=$CURL_VER" "cjson=$CJSON_VER" >"$work/source.log" 2>&1 ||
    {
        cat "$work/source.log" >&2
        die "apt-get source failed"
    }
curl_src=$(find "$work" -maxdepth 1 -type d -name 'curl-*' | head -n1)
cjson_src=$(find "$work" -maxdepth 1 -type d -name 'cjson-*' | head -n1)
[ -d "$curl_src" ] && [ -d "$cjson_src" ] || die "unpacked sources not found in $work"

JOBS=$(nproc 2>/dev/null || echo 2)
LIB_CFLAGS="-O2 -g0 -ffunction-sections -fdata-sections"
mkdir -p "$stage/include/cjson" "$stage/lib"

# cJSON: two files; its CMake build adds nothing we need for a static archive.
log "cJSON: compiling"
for f in cJSON cJSON_Utils; do
    "$CC" $LIB_CFLAGS -std=c89 -c "$cjson_src/$f.c" -o "$work/$f.o"
    cp "$cjson_src/$f.h" "$stage/include/cjson/"
done
"${HOST:+$HOST-}ar" rcs "$stage/lib/libcjson.a" "$work/cJSON.o"
"${HOST:+$HOST-}ar" rcs "$stage/lib/libcjson_utils.a" "$work/cJSON_Utils.o"

# OpenSSL: Debian's static archives and headers from libssl-dev.
multiarch=$TRIPLET
for a in libssl.a libcrypto.a; do
    [ -f "/usr/lib/$multiarch/$a" ] || die "/usr/lib/$multiarch/$a missing (libssl-dev:$DEB_ARCH)"
    cp "/usr/lib/$multiarch/$a" "$stage/lib/"
done
cp -r /usr/include/openssl "$stage/include/"
cp /usr/include/"$multiarch"/openssl/*.h "$stage/include/openssl/"

# curl: drop Debian's GnuTLS and NSS flavour patches (the last two of the series;
# debian/rules pops them for the OpenSSL build too), regenerate, configure minimal.
cd "$curl_src"
for p in 99_nss.patch 90_gnutls.patch; do
    if [ -f "debian/patches/$p" ]; then
        patch -R -p1 -s <"debian/patches/$p" || die "cannot unapply debian/patches/$p"
    fi
done
log "curl: autoreconf"
autoreconf -fi >"$work/autoreconf.log" 2>&1 || {
    tail -20 "$work/autoreconf.log" >&2
    die "autoreconf failed"
}
CONFIGURE_ARGS=(
    --prefix="$PREFIX" --disable-shared --enable-static --with-pic=no
    --with-openssl --disable-openssl-auto-load-config
    --enable-http --enable-threaded-resolver --disable-ares --enable-ipv6
    --without-zlib --without-brotli --without-zstd --without-libidn2 --without-libpsl
    --without-nghttp2 --without-nghttp3 --without-ngtcp2 --without-quiche --without-msh3
    --without-hyper --without-libssh --without-libssh2 --without-librtmp --without-libgsasl
    --without-gssapi --without-ca-path --without-ca-bundle --without-zsh-functions-dir
    --without-fish-functions-dir
    --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp --disable-dict
    --disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp
    --disable-gopher --disable-mqtt --disable-websockets --disable-proxy --disable-cookies
    --disable-alt-svc --disable-hsts --disable-doh --disable-mime --disable-netrc --disable-ntlm
    --disable-tls-srp --disable-unix-sockets --disable-dnsshuffle --disable-progress-meter
    --disable-libcurl-option --disable-manual --disable-sspi --disable-ech
    --disable-get-easy-options
    # kept: crypto-auth (it guards CURLOPT_AWS_SIGV4), verbose (debug logs), headers-api
)
# Cross build: the target's compiler, and the OpenSSL staged above (the build
# machine's pkg-config and /usr/include would describe the host's).
CROSS_ENV=()
if [ -n "$HOST" ]; then
    CONFIGURE_ARGS+=(--host="$HOST" --with-openssl="$stage")
    CROSS_ENV=(CC="$CC" LIBS=-pthread PKG_CONFIG_LIBDIR="$stage/lib/pkgconfig")
fi
log "curl: configure"
env "${CROSS_ENV[@]}" CFLAGS="$LIB_CFLAGS" ./configure "${CONFIGURE_ARGS[@]}" \
    >"$work/configure.log" 2>&1 || {
    tail -30 "$work/configure.log" >&2
    die "curl configure failed (log: above)"
}
log "curl: make (-j$JOBS)"
make -s -j"$JOBS" -C lib >"$work/make.log" 2>&1 || {
    tail -30 "$work/make.log" >&2
    die "curl build failed"
}
make -s -C lib install DESTDIR="$work/inst" >>"$work/make.log" 2>&1
make -s -C include install DESTDIR="$work/inst" >>"$work/make.log" 2>&1
cp "$work/inst$PREFIX/lib/libcurl.a" "$stage/lib/"
cp -r "$work/inst$PREFIX/include/curl" "$stage/include/"
features=$(sed -n 's/^ *Features: *//p' "$work/configure.log" | head -n1)
protocols=$(sed -n 's/^ *Protocols: *//p' "$work/configure.log" | head -n1)

end=$(date +%s.%N)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
cat >"$stage/BUILDINFO" <<EOF
curl $CURL_VER (Debian source), protocols: $protocols
curl features: $features
cJSON $CJSON_VER (Debian source)
OpenSSL $OPENSSL_VER (Debian libssl-dev static archives)
built $(date -u +%Y-%m-%dT%H:%M:%SZ) for $ARCH ($CC) on $(uname -m) in ${secs}s, recipe $RECIPE
link: -L$PREFIX/lib -lcurl -lcjson -lssl -lcrypto -pthread
EOF
touch "$stage/.complete"
rm -rf "$PREFIX"
mv "$stage" "$PREFIX"
log "done in ${secs}s: $PREFIX (protocols: $protocols)"
echo "$PREFIX"
