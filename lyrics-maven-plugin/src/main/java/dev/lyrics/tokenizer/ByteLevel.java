package dev.lyrics.tokenizer;

/**
 * GPT-2's byte-to-character table: each byte is shown as a printable character (printable ASCII
 * and Latin-1 stand for themselves, the rest are shifted to U+0100 onwards), so byte-level BPE
 * symbols are ordinary strings and a space reads as "Ġ".
 */
final class ByteLevel {
    static final String[] BYTE_TO_CHAR = table();

    private ByteLevel() {}

    private static String[] table() {
        String[] chars = new String[256];
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            chars[b] = String.valueOf((char) (printable ? b : 256 + shifted++));
        }
        return chars;
    }
}
