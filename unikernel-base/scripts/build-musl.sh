#!/usr/bin/env bash
# Builds Thaw's libc: Debian's musl source package plus Thaw's patches in musl/:
# thaw-syscall.patch turns every `syscall` instruction into a call into the library OS;
# thaw-stdio.patch lets the library OS move the standard streams into the page an invocation
# writes anyway. The result is cached (THAW_CACHE, default ~/.cache/thaw) under a key of the
# patches and this script, and copied into the sysroot given as $1. musl's code is fetched
# at build time, never committed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
sysroot=$1
cache=${THAW_CACHE:-$HOME/.cache/thaw}
patches=("$here"/musl/*.patch)
key=$(cat "${patches[@]}" "$0" | sha256sum | cut -c1-16)
out=$cache/musl-$key

die() { echo "build-musl: $*" >&2; exit 1; }

ensure_deb_src() {
    if grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        return
    fi
    [ "$(id -u)" = 0 ] || die "no deb-src entry in /etc/apt and not root to add one"
    . /etc/os-release
    echo "build-musl: adding a deb-src entry for Debian ${VERSION_CODENAME}" >&2
    cat > /etc/apt/sources.list.d/thaw-deb-src.sources <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: ${VERSION_CODENAME} ${VERSION_CODENAME}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    apt-get update -qq
}

if [ ! -f "$out/lib/libc.a" ]; then
    command -v dpkg-source >/dev/null || die "dpkg-source missing (apt-get install dpkg-dev)"
    ensure_deb_src
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    echo "build-musl: fetching Debian's musl source package" >&2
    (cd "$work" && apt-get source -qq musl >/dev/null 2>"$work/apt.log") \
        || { cat "$work/apt.log" >&2; apt-get update -qq && (cd "$work" && apt-get source -qq musl >/dev/null); } \
        || die "apt-get source musl failed"
    src=$(find "$work" -maxdepth 1 -type d -name 'musl-*' | head -n1)
    [ -n "$src" ] || die "no musl source tree after apt-get source"
    echo "build-musl: patching and building $(basename "$src")" >&2
    for p in "${patches[@]}"; do
        patch -d "$src" -p1 --quiet < "$p" || die "$(basename "$p") does not apply to $(basename "$src")"
    done
    if grep -rEn '^\s*syscall\b' "$src"/src/*/x86_64/*.s; then
        die "a musl x86_64 assembly file still issues syscall; extend the patch"
    fi
    (cd "$src" && ./configure --prefix=/ --disable-shared CFLAGS=-O2 >/dev/null \
        && make -j"$(nproc)" >/dev/null && make DESTDIR="$work/install" install >/dev/null) \
        || die "building musl failed"
    basename "$src" > "$work/install/MUSL_VERSION"
    mkdir -p "$cache"
    rm -rf "$out.tmp" && mv "$work/install" "$out.tmp" && mv "$out.tmp" "$out"
fi

mkdir -p "$sysroot"
cp -a "$out/include" "$out/lib" "$out/MUSL_VERSION" "$sysroot/"
echo "$key" > "$sysroot/MUSL_KEY"   # what runtimes/build.sh keys its compiled runtimes on
