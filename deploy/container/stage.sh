#!/usr/bin/env bash
# stage.sh: builds Thaw from this repository the way the launchers do (./mvnw install) and
# lays out what a host or an image runs, under DEST (default /opt/thaw):
#
#   DEST/gateway/quarkus-run.jar   the cluster gateway (Quarkus app: with lib/, app/, quarkus/)
#   DEST/invoker/lib/*.jar         the invoker and its libraries
#   DEST/invoker/java.args         the invoker's JVM options, classpath and main class: run
#                                  it as  java @DEST/invoker/java.args [invoker options]
#   DEST/sysroot/                  Thaw's guest toolchain (thaw-cc, the libc, the library OS)
#   DEST/cache/                    the Python and Lua runtimes, prebuilt (THAW_CACHE)
#
#   deploy/container/stage.sh [--runtimes "python lua"] [DEST]
#
# The runtimes are built from Debian's source packages (deb-src) with the sysroot (minutes
# each); --runtimes "" skips them (then the first Python or Lua deploy on a host builds them,
# which needs apt and the network there). Needs what ./test needs: a JDK 25, gcc, make,
# dpkg-dev, python3.11, bubblewrap (bin/thaw-env.sh installs them when run as root).
set -euo pipefail
runtimes="python lua"
while [ $# -gt 0 ]; do
    case "$1" in
        --runtimes) runtimes=$2; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "stage.sh: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
dest=$(mkdir -p "${1:-/opt/thaw}" && cd "${1:-/opt/thaw}" && pwd)
. "$(dirname "$0")/../../bin/thaw-env.sh"
thaw_setup
cd "$thaw_root"

echo "stage: building Thaw in $thaw_root" >&2
./mvnw -q -B -ntp install -DskipTests
./mvnw -q -B -ntp -pl invoker-service dependency:build-classpath -Dmdep.outputFile=target/classpath.txt >/dev/null
# Thaw's own modules from this clone's target/, not from ~/.m2, which another clone's install
# may have overwritten (as thaw_build does; artifact ids are the module folders' names).
sed -i -E "s#[^:]*/dev/thaw/([^/:]+)/([^/:]+)/\1-\2(-tests)?\.jar#$thaw_root/\1/target/\1-\2\3.jar#g" \
    invoker-service/target/classpath.txt

rm -rf "$dest/gateway" "$dest/invoker" "$dest/sysroot"
mkdir -p "$dest/invoker/lib" "$dest/cache"
cp -a gateway/target/quarkus-app "$dest/gateway"
cp -a unikernel-base/target/sysroot "$dest/sysroot"
cp invoker-service/target/invoker-service-*.jar "$dest/invoker/lib/"
tr ':' '\n' < invoker-service/target/classpath.txt | while read -r jar; do
    [ -n "$jar" ] && cp "$jar" "$dest/invoker/lib/"
done
# The same JVM options bin/invoker uses (thaw_java in bin/thaw-env.sh).
cat > "$dest/invoker/java.args" <<ARGS
--enable-native-access=ALL-UNNAMED
-XX:+UseG1GC
-XX:MaxRAMPercentage=50
-Dthaw.sysroot=$dest/sysroot
-cp
$dest/invoker/lib/*
dev.thaw.invoker.service.InvokerMain
ARGS

for runtime in $runtimes; do
    echo "stage: building the $runtime runtime into $dest/cache" >&2
    THAW_CACHE="$dest/cache" "$dest/sysroot/runtimes/build.sh" "$runtime" >/dev/null
done
echo "stage: Thaw staged in $dest" >&2
