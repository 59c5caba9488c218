#!/usr/bin/env bash
# Builds a language runtime for Thaw functions, once per machine, and prints where it is:
#
#     sysroot/runtimes/build.sh python|lua
#     -> binary=/.../thaw-python   the interpreter and its bootstrap, a Thaw executable
#        root=/.../root            the tree the snapshotter puts at / in the file image
#
# Two cached steps (THAW_CACHE, default ~/.cache/thaw, under runtimes/):
#   compile  the interpreter from Debian's source package with thaw-cc: minutes, keyed on
#            this script, the runtime's build.sh, the source packages' versions, musl (its
#            cache key) and the host compiler
#   link     the bootstrap (runtimes/NAME/thaw_NAME.c) against the compiled interpreter and
#            this sysroot's libc and library OS: a second, keyed on their bytes as well
# So a change to the library OS relinks in a second; only a change to the runtime's own
# build recompiles it. These are trusted operator-side builds, not user code. Concurrent
# builds of one runtime wait for each other (flock).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sysroot=$(cd "$here/.." && pwd)
name=${1:?usage: build.sh python|lua}
[ -f "$here/$name/build.sh" ] || { echo "thaw: no runtime called '$name'" >&2; exit 2; }
cache=${THAW_CACHE:-$HOME/.cache/thaw}/runtimes
mkdir -p "$cache"
export THAW_HOST_CC=${THAW_HOST_CC:-gcc}
export CC="$sysroot/bin/thaw-cc"
jobs=$(nproc)

die() { echo "thaw: building the $name runtime: $*" >&2; exit 1; }

# Debian's source package $1, unpacked (with Debian's patches) into the current directory.
fetch_source() {
    command -v dpkg-source >/dev/null || die "dpkg-source missing (apt-get install dpkg-dev)"
    if ! grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        die "no deb-src entry in /etc/apt (building Thaw's libc adds one)"
    fi
    apt-get source -qq "$1" >/dev/null 2>apt.log || { apt-get update -qq && apt-get source -qq "$1" >/dev/null 2>apt.log; } \
        || { cat apt.log >&2; die "apt-get source $1 failed"; }
    find "$PWD" -maxdepth 1 -mindepth 1 -type d -name "$1-*" | head -n1
}

. "$here/$name/build.sh"   # defines runtime_version, runtime_sources, runtime_minutes, runtime_compile OUT

exec 9>"$cache/.lock-$name"
flock 9

# The source packages' versions as apt knows them now: a Debian update rebuilds.
source_versions() {
    local pkg
    for pkg in $runtime_sources; do
        echo "$pkg $(apt-cache showsrc "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n1)"
    done
}
compile_key=$( (cat "$0" "$here/$name/build.sh" "$sysroot/MUSL_KEY"; "$THAW_HOST_CC" --version | head -n1; source_versions) \
    | sha256sum | cut -c1-16)
compiled=$cache/$name-$runtime_version-$compile_key
if [ ! -f "$compiled/link-args" ]; then
    echo "thaw: building the $name runtime from Debian's sources (first use on this machine, ~$runtime_minutes min)" >&2
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work/out"
    started=$(date +%s)
    (cd "$work" && runtime_compile "$work/out") || die "the compile step failed (see above)"
    rm -rf "$compiled.tmp" && mv "$work/out" "$compiled.tmp" && mv "$compiled.tmp" "$compiled"
    echo "thaw: the $name runtime is built ($(( $(date +%s) - started )) s)" >&2
fi

link_key=$( (echo "$compile_key"; cat "$here/$name/thaw_$name.c" "$sysroot/lib/libc.a" "$sysroot/lib/libthaw.a" "$sysroot/include/thaw/thaw.h" "$sysroot/lib/crt1.o") \
    | sha256sum | cut -c1-16)
linked=$compiled/link-$link_key
if [ ! -x "$linked/thaw-$name" ]; then
    rm -rf "$linked.tmp" && mkdir -p "$linked.tmp"
    # shellcheck disable=SC2046 # link-args is a list of words written by runtime_compile
    (cd "$compiled" && "$CC" -O2 -Wall -I"$compiled/include" -o "$linked.tmp/thaw-$name" "$here/$name/thaw_$name.c" \
        $(cat link-args)) || die "linking the bootstrap failed"   # link-args: paths relative to $compiled
    mv "$linked.tmp" "$linked"
fi
echo "binary=$linked/thaw-$name"
echo "root=$compiled/root"
