# Sourced by Thaw's launchers (./fn, ./test, ./bench): finds a JDK >= 25, installs the
# Debian packages the build needs when they are missing, and (re)builds when sources changed.

thaw_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

thaw_die() {
    echo "thaw: $*" >&2
    exit 1
}

# Major Java version of a JDK directory, from its release file; empty if none.
thaw_java_version() {
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null
}

# Sets JAVA_HOME to a JDK >= 25: $JAVA_HOME if it is one, else the newest under /usr/lib/jvm.
thaw_find_java() {
    local v
    if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
        v=$(thaw_java_version "$JAVA_HOME")
        if [ -n "$v" ] && [ "$v" -ge 25 ]; then
            export JAVA_HOME
            return
        fi
    fi
    local dir best="" bestv=0
    for dir in /usr/lib/jvm/*; do
        [ -x "$dir/bin/javac" ] || continue
        v=$(thaw_java_version "$dir")
        if [ -n "$v" ] && [ "$v" -ge 25 ] && [ "$v" -gt "$bestv" ]; then
            best=$dir
            bestv=$v
        fi
    done
    [ -n "$best" ] || thaw_die "needs a JDK 25 or newer (JAVA_HOME is ${JAVA_HOME:-unset}; none under /usr/lib/jvm)"
    export JAVA_HOME=$best
}

# Installs the Debian packages given that are not installed yet.
thaw_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return
    [ "$(id -u)" = 0 ] || thaw_die "missing Debian packages: ${missing[*]} (sudo apt-get install ${missing[*]})"
    echo "thaw: installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; } \
        || thaw_die "could not install ${missing[*]}"
}

# What building and testing Thaw needs from the host: a JDK, a C toolchain, the tools that
# fetch and patch Debian's source packages (musl; CPython, Lua and zlib for the runtimes,
# built on first use), python3.11, which compiles the Python runtime's library to .pyc, and
# bubblewrap, the sandbox functions are compiled in at deploy.
thaw_setup() {
    thaw_find_java
    thaw_packages gcc make patch dpkg-dev libc6-dev linux-libc-dev ca-certificates python3.11 bubblewrap
    [ -e /dev/kvm ] || echo "thaw: WARNING: /dev/kvm is missing; functions cannot run here" >&2
}

# Builds everything (skipping tests) if any source is newer than the last build, and writes
# the runtime classpath of each module that has a launcher. load-tests/gatling is not part of
# that build (./bench gatling builds it with Maven each run), so its sources do not count.
thaw_build() {
    local stamp="$thaw_root/target/.built"
    if [ -f "$stamp" ] && [ -z "$(cd "$thaw_root" && find . -path ./.git -prune -o -path '*/target' -prune -o -path ./load-tests/gatling -prune -o -newer "$stamp" -type f -print -quit)" ]; then
        return
    fi
    echo "thaw: building..." >&2
    (cd "$thaw_root" && ./mvnw -q -B -ntp install -DskipTests) || thaw_die "the build failed"
    thaw_built
}

# After a whole build (thaw_build's, or ./test's install): writes the launchers' classpaths
# and marks the sources as built, so that the next launcher does not build them again.
thaw_built() {
    (cd "$thaw_root" && ./mvnw -q -B -ntp -pl load-tests,cli,invoker-service dependency:build-classpath \
        -Dmdep.outputFile=target/classpath.txt >/dev/null) || thaw_die "could not resolve the classpath"
    # Thaw's own modules from this clone's target/, not from ~/.m2: another clone's install
    # overwrites the SNAPSHOT jars there (artifact ids are the module folders' names)
    local m
    for m in load-tests cli invoker-service; do
        sed -i -E "s#[^:]*/dev/thaw/([^/:]+)/([^/:]+)/\1-\2(-tests)?\.jar#$thaw_root/\1/target/\1-\2\3.jar#g" \
            "$thaw_root/$m/target/classpath.txt"
    done
    rm -f "$thaw_root/target/cli.jsa"
    mkdir -p "$thaw_root/target"   # a fresh clone has none until something makes it
    touch "$thaw_root/target/.built"
}

# Runs the fn command line (dev.thaw.cli.Fn). A class-data-sharing archive, made on first use,
# halves its start-up time.
thaw_cli() {
    exec "$JAVA_HOME/bin/java" -XX:TieredStopAtLevel=1 -XX:+AutoCreateSharedArchive \
        -XX:SharedArchiveFile="$thaw_root/target/cli.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off \
        -Dthaw.root="$thaw_root" -Dthaw.sysroot="$thaw_root/unikernel-base/target/sysroot" \
        -Dthaw.gateway.jar="$thaw_root/embedded/target/quarkus-app/quarkus-run.jar" \
        -cp "$thaw_root/cli/target/cli-0.1.0-SNAPSHOT.jar:$(cat "$thaw_root/cli/target/classpath.txt")" dev.thaw.cli.Fn "$@"
}

# Runs a main class of a module of Thaw with that module's built classpath:
#   thaw_java MODULE MAIN [JVM options...] -- [arguments...]
thaw_java() {
    local module=$1 main=$2
    shift 2
    local jvm=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do jvm+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED "${jvm[@]}" \
        -Dthaw.root="$thaw_root" -Dthaw.sysroot="$thaw_root/unikernel-base/target/sysroot" \
        -cp "$thaw_root/$module/target/classes:$(cat "$thaw_root/$module/target/classpath.txt")" "$main" "$@"
}
