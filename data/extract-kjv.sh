#!/bin/sh
# Extracts the embedded corpus of the experiment from Debian's package bible-kjv
# (the King James Version, public domain; `apt-get install bible-kjv`):
#
#   psalms.jsonl       the 150 Psalms as songs.jsonl records (dev.lyrics.dataset.Song), one per psalm:
#                      artist from psalms-attribution.tsv, title "Psalm N", source "kjv:Psalms N",
#                      lyrics = the verses, one per line, verse numbers stripped
#   kjv-pretrain.txt   every other book of the KJV (the base model's pretraining text), one verse
#                      per line, books in canonical order separated by one blank line
#
# `bible -f` turns pretty-printing off: one verse per line, "Psa23:1 The LORD is my shepherd; ...".
# Whitespace is tidied (runs of spaces collapsed, ends trimmed: the package has three stray
# double or trailing spaces); the words are untouched. Output is ASCII, LF line ends.
#
# Usage: data/extract-kjv.sh            (from anywhere; writes next to this script)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
command -v bible >/dev/null 2>&1 || { echo "extract-kjv.sh: needs the bible program (apt-get install bible-kjv)" >&2; exit 1; }

verses=$(mktemp)
trap 'rm -f "$verses" "$here/psalms.jsonl.tmp" "$here/kjv-pretrain.txt.tmp"' EXIT
# bible looks for its data file in the current directory first: run it from a neutral one
(cd / && bible -f "Gen1:1-Rev22:21") > "$verses"

LC_ALL=C awk -v attribution="$here/psalms-attribution.tsv" \
    -v psalms="$here/psalms.jsonl.tmp" -v pretrain="$here/kjv-pretrain.txt.tmp" '
function fail(message) { print "extract-kjv.sh: " message > "/dev/stderr"; failed = 1; exit 1 }
function json(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/\n/, "\\n", s); return "\"" s "\"" }
function flush_psalm() {
    if (psalm == "") return
    if (!(psalm in artist)) fail("psalm " psalm " has no artist in " attribution)
    printf "{\"artist\":%s,\"lyrics\":%s,\"source\":%s,\"title\":%s}\n", \
        json(artist[psalm]), json(lyrics), json("kjv:Psalms " psalm), json("Psalm " psalm) > psalms
    songs++
}
BEGIN {
    # "David<TAB>3-9,11-32,..." -> artist[3] = "David", ...
    while ((getline line < attribution) > 0) {
        if (line ~ /^#/ || line ~ /^[ \t]*$/) continue
        split(line, field, "\t")
        n = split(field[2], ranges, ",")
        for (i = 1; i <= n; i++) {
            if (split(ranges[i], bounds, "-") == 1) bounds[2] = bounds[1]
            for (p = bounds[1] + 0; p <= bounds[2] + 0; p++) {
                if (p in artist) fail("psalm " p " attributed twice in " attribution)
                artist[p] = field[1]
            }
        }
    }
    for (p = 1; p <= 150; p++) if (!(p in artist)) fail("psalm " p " missing from " attribution)
}
{
    # "1Sm3:10 text" -> book "1Sm", chapter 3, text
    if (!match($0, /^[1-3]?[A-Za-z]+[0-9]+:[0-9]+ /)) fail("unexpected line " NR ": " $0)
    ref = substr($0, 1, RLENGTH - 1)
    text = substr($0, RLENGTH + 1)
    gsub(/  +/, " ", text); sub(/^ +/, "", text); sub(/ +$/, "", text)
    match(ref, /^[1-3]?[A-Za-z]+/)
    book = substr(ref, 1, RLENGTH)
    chapter = substr(ref, RLENGTH + 1); sub(/:.*/, "", chapter)
    if (book == "Psa") {
        if (chapter != psalm) { flush_psalm(); psalm = chapter; lyrics = text }
        else lyrics = lyrics "\n" text
        next
    }
    if (book != last_book && last_book != "") print "" > pretrain
    last_book = book
    print text > pretrain
}
END {
    if (failed) exit 1
    flush_psalm()
    if (songs != 150) fail("expected 150 psalms, found " songs)
}
' "$verses"

mv "$here/psalms.jsonl.tmp" "$here/psalms.jsonl"
mv "$here/kjv-pretrain.txt.tmp" "$here/kjv-pretrain.txt"
echo "wrote $here/psalms.jsonl ($(wc -l < "$here/psalms.jsonl") songs) and $here/kjv-pretrain.txt ($(wc -l < "$here/kjv-pretrain.txt") lines)"
