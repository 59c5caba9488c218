# Lua 5.4 from Debian's lua5.4 source package (sourced by ../build.sh).
runtime_sources="lua5.4"
runtime_version=5.4
runtime_minutes=1

runtime_compile() {
    local out=$1 src
    src=$(fetch_source lua5.4)
    [ -n "$src" ] || die "no lua5.4 source tree"
    mkdir -p "$out/lib" "$out/include" "$out/root/usr/share/lua/5.4"
    # Debian's luaconf.h names the multiarch triplet in a header its build generates.
    echo '#define DEB_HOST_MULTIARCH "x86_64-linux-thaw"' > "$src/src/lua5.4-deb-multiarch.h"
    # The library only (no lua.c/luac.c): POSIX, no dlopen (a Thaw function is one static
    # executable, so C modules cannot be loaded).
    (cd "$src/src" && for f in *.c; do
        case $f in lua.c|luac.c) continue ;; esac
        echo "$f"
    done | xargs -P "$jobs" -I{} "$CC" -O2 -std=gnu99 -DLUA_COMPAT_5_3 -DLUA_USE_POSIX -c {}) \
        || die "compiling Lua failed"
    ar rcs "$out/lib/liblua.a" "$src"/src/*.o
    cp "$src"/src/{lua.h,luaconf.h,lualib.h,lauxlib.h,lua5.4-deb-multiarch.h} "$out/include/"
    basename "$src" > "$out/VERSION"
    echo "lib/liblua.a -lm" > "$out/link-args"   # relative to the runtime's directory
}
