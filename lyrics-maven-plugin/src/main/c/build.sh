#!/usr/bin/env bash
# Builds liblyrics_native-linux-x86_64.so from lyrics_native.c into the plugin's resources (beside
# dev.lyrics.model.NativeTuning, so that the stages' code fingerprints cover it),
# where dev.lyrics.model.NativeTuning loads it, and records the compiler beside it. Run it after
# changing the C source and commit the result: the Maven build needs no C compiler. The compiler
# and linker versions are recorded beside it.
# NativeTuningTest rebuilds it into a scratch folder (the optional argument) and compares the bytes.
# Needs gcc and a JDK (for jni.h).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
out="${1:-$here/../resources/dev/lyrics/model}"
mkdir -p "$out"
# no build id or file names in the output: the same compiler gives the same bytes
gcc -shared -fPIC -O2 -Wall -Wextra -Werror -Wno-unused-parameter -s -Wl,--build-id=none \
    -ffile-prefix-map="$here"=. -I"$java_home/include" -I"$java_home/include/linux" \
    -o "$out/liblyrics_native-linux-x86_64.so" "$here/lyrics_native.c" -ldl
{ gcc --version | head -1; ld --version | head -1; } > "$out/liblyrics_native-linux-x86_64.compiler"
