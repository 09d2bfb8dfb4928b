package dev.lyrics.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The one reader of user-supplied text files (corpus, songs.jsonl, train/test JSON, vocabularies):
 * strict UTF-8, so a file in another encoding fails with its name, the line and byte offset of the
 * first byte that is not UTF-8, and the parameter that chose the file, instead of a bare
 * "Input length = 1" or silently replaced characters.
 */
public final class Utf8Files {
    private Utf8Files() {}

    /**
     * @param parameter the property that points at the file ("lyrics.scrape.corpusFile"), or null when none does
     */
    public static String read(Path file, String parameter) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isUnderflow()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int offset = in.position();
            throw notUtf8(file, bytes, offset, parameter);
        }
        return out.flip().toString();
    }

    private static InputException notUtf8(Path file, byte[] bytes, int offset, String parameter) {
        long line = 1;
        for (int i = 0; i < offset; i++) {
            if (bytes[i] == '\n') {
                line++;
            }
        }
        String problem = String.format(Locale.ROOT, "not UTF-8 text: byte 0x%02X at byte offset %d cannot be decoded;"
                + " save the file as UTF-8", bytes[offset] & 0xff, offset);
        if (parameter != null) {
            problem += " or point " + parameter + " at another file (-D" + parameter + "=...)";
        }
        return InputException.at(file, line, problem);
    }
}
