package dev.lyrics.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerTest {
    static final List<String> CORPUS = List.of(
            "In the beginning God created the heaven and the earth.\n",
            "And the earth was without form, and void; and darkness was upon the face of the deep.\n",
            "And God said, Let there be light: and there was light.\n",
            "And God saw the light, that it was good: and God divided the light from the darkness.\n");

    @Test
    void learnsTheMostFrequentPairsInOrderWithDeterministicTies() {
        // pieces: "ab" once, " ab" four times, " cd" twice
        BpeTrainer.Vocabulary vocabulary = new BpeTrainer(300, 2).train(List.of("ab ab ab ab ab cd cd"));
        List<String> merges = vocabulary.merges().stream().map(m -> m[0] + " " + m[1]).toList();
        // (a,b) 5 > (Ġ,ab) 4 > the tie (Ġ,c) = (c,d) = 2, won by the pair whose left symbol came first (Ġ is byte 32)
        assertEquals(List.of("a b", "Ġ ab", "Ġ c", "Ġc d"), merges);
        assertEquals(List.of("<pad>", "<s>", "</s>"), vocabulary.tokens().subList(0, 3));
        assertEquals("Ġcd", vocabulary.tokens().get(3 + 256 + 3));
        assertEquals(2, new BpeTrainer(300, 3).train(List.of("ab ab ab ab ab cd cd")).merges().size());
        assertEquals(3 + 256 + 1, new BpeTrainer(3 + 256 + 1, 1).train(List.of("ab ab ab ab ab cd cd")).tokens().size());
    }

    @Test
    void writesATokenizerJsonThatDjlLoadsAndAppliesTheMerges(@TempDir Path dir) throws Exception {
        BpeTrainer.write(new BpeTrainer(300, 2).train(List.of("ab ab ab ab ab cd cd")), dir, 256);
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            assertEquals(3 + 256 + 4, tokenizer.vocabSize());
            assertEquals(1, tokenizer.addedTokenId("<s>"));
            assertEquals(2, tokenizer.addedTokenId("</s>"));
            assertEquals(0, tokenizer.addedTokenId("<pad>"));
            HfTokenizer.Encoded encoded = tokenizer.encode("ab ab cd");
            assertArrayEquals(new long[] {259, 260, 262}, encoded.ids());
            assertArrayEquals(new int[] {2, 5, 8}, encoded.charEnds());
            assertEquals("ab ab cd", tokenizer.decode(encoded.ids()));
            assertEquals("ab", tokenizer.decode(new long[] {1, 259, 2, 0}));
        }
    }

    @Test
    void decodesEveryEncodedUnicodeStringBackExactly(@TempDir Path dir) throws Exception {
        BpeTrainer.write(new BpeTrainer(400, 2).train(CORPUS), dir, 256);
        int[][] ranges = {{0x20, 0x7E}, {0x09, 0x0D}, {0xA0, 0x24F}, {0x300, 0x36F}, {0x590, 0x6FF}, {0x900, 0x97F},
                {0x3000, 0x30FF}, {0x4E00, 0x9FFF}, {0xAC00, 0xD7A3}, {0xE000, 0xF8FF}, {0xFFF0, 0xFFFD},
                {0x1F300, 0x1FAFF}, {0x10000, 0x10FFFF}, {0x2000, 0x206F}};
        Random random = new Random(7);
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            for (int sample = 0; sample < 300; sample++) {
                StringBuilder text = new StringBuilder();
                int length = random.nextInt(40);
                for (int i = 0; i < length; i++) {
                    int[] range = ranges[random.nextInt(ranges.length)];
                    int codePoint = range[0] + random.nextInt(range[1] - range[0] + 1);
                    if (Character.getType(codePoint) != Character.SURROGATE) {
                        text.appendCodePoint(codePoint);
                    }
                }
                String s = text.toString();
                HfTokenizer.Encoded encoded = tokenizer.encode(s);
                assertEquals(s, tokenizer.decode(encoded.ids()), "sample " + sample);
                int previous = 0;
                for (int end : encoded.charEnds()) {
                    assertTrue(end >= previous && end <= s.length(), "char ends of sample " + sample);
                    assertTrue(end == s.length() || !Character.isLowSurrogate(s.charAt(end)), "end inside a surrogate pair");
                    previous = end;
                }
                if (!s.isEmpty()) {
                    assertEquals(s.length(), encoded.charEnds()[encoded.charEnds().length - 1]);
                }
            }
        }
    }

    @Test
    void longTextsAreNotCutAt512Tokens(@TempDir Path dir) throws Exception {
        BpeTrainer.write(new BpeTrainer(400, 2).train(CORPUS), dir, 256);
        String text = String.join("", CORPUS).repeat(40);
        try (HfTokenizer tokenizer = HfTokenizer.load(dir)) {
            HfTokenizer.Encoded encoded = tokenizer.encode(text);
            assertTrue(encoded.ids().length > 2000, "only " + encoded.ids().length + " tokens");
            assertEquals(text, tokenizer.decode(encoded.ids()));
        }
    }
}
