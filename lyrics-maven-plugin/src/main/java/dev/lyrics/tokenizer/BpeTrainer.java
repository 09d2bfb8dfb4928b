package dev.lyrics.tokenizer;

import dev.lyrics.core.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Trains a byte-level BPE tokenizer (GPT-2's scheme) and writes it as a Hugging Face tokenizer.json:
 * text is split by GPT-2's pre-tokenization pattern, every piece becomes UTF-8 bytes shown as
 * printable characters, and the most frequent adjacent pair of symbols is merged until the
 * vocabulary is full. All 256 bytes are in the vocabulary, so any string encodes and decodes back
 * unchanged. Ties between equally frequent pairs go to the pair of earlier symbols, so training is
 * deterministic.
 */
public final class BpeTrainer {
    /** Special tokens, in id order: ids 0, 1, 2 (the config's bos_token_id 1 and eos_token_id 2). */
    public static final List<String> SPECIAL_TOKENS = List.of("<pad>", "<s>", "</s>");

    /** GPT-2's pre-tokenizer pattern, as the ByteLevel pre-tokenizer of Hugging Face tokenizers applies it. */
    static final Pattern PRE_TOKENIZER = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    /** The result: symbols in id order (specials first) and merges in rank order. */
    public record Vocabulary(List<String> tokens, List<String[]> merges) {}

    private final int vocabSize;
    private final int minFrequency;

    /**
     * @param vocabSize    total size including the special tokens and the 256 byte symbols
     * @param minFrequency a pair seen fewer times is never merged
     */
    public BpeTrainer(int vocabSize, int minFrequency) {
        if (vocabSize < SPECIAL_TOKENS.size() + 256) {
            throw new IllegalArgumentException("vocabSize " + vocabSize + " is below the "
                    + (SPECIAL_TOKENS.size() + 256) + " special and byte tokens");
        }
        this.vocabSize = vocabSize;
        this.minFrequency = minFrequency;
    }

    /** A word: its symbol ids and how often the corpus has it. */
    private static final class Word {
        int[] symbols;
        final long count;

        Word(int[] symbols, long count) {
            this.symbols = symbols;
            this.count = count;
        }
    }

    public Vocabulary train(Iterable<String> texts) {
        Map<String, Long> pieceCounts = new TreeMap<>();
        for (String text : texts) {
            Matcher m = PRE_TOKENIZER.matcher(text);
            while (m.find()) {
                pieceCounts.merge(m.group(), 1L, Long::sum);
            }
        }
        List<String> tokens = new ArrayList<>(SPECIAL_TOKENS);
        String[] byteSymbols = ByteLevel.BYTE_TO_CHAR;
        for (int b = 0; b < 256; b++) {
            tokens.add(byteSymbols[b]);
        }
        int firstByte = SPECIAL_TOKENS.size();
        List<Word> words = new ArrayList<>();
        for (Map.Entry<String, Long> piece : pieceCounts.entrySet()) {
            byte[] bytes = piece.getKey().getBytes(StandardCharsets.UTF_8);
            int[] symbols = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                symbols[i] = firstByte + (bytes[i] & 0xFF);
            }
            words.add(new Word(symbols, piece.getValue()));
        }

        Map<Long, Long> pairCounts = new HashMap<>();
        Map<Long, Set<Integer>> pairWords = new HashMap<>();
        for (int w = 0; w < words.size(); w++) {
            addPairs(words.get(w), w, +1, pairCounts, pairWords);
        }
        List<String[]> merges = new ArrayList<>();
        while (tokens.size() < vocabSize) {
            long best = -1;
            long bestCount = 0;
            for (Map.Entry<Long, Long> entry : pairCounts.entrySet()) {
                long count = entry.getValue();
                if (count > bestCount || (count == bestCount && count > 0 && Long.compareUnsigned(entry.getKey(), best) < 0)) {
                    best = entry.getKey();
                    bestCount = count;
                }
            }
            if (bestCount < Math.max(1, minFrequency)) {
                break;
            }
            int left = (int) (best >>> 32);
            int right = (int) best;
            int merged = tokens.size();
            tokens.add(tokens.get(left) + tokens.get(right));
            merges.add(new String[] {tokens.get(left), tokens.get(right)});
            for (int w : new ArrayList<>(pairWords.getOrDefault(best, Set.of()))) {
                Word word = words.get(w);
                addPairs(word, w, -1, pairCounts, pairWords);
                word.symbols = merge(word.symbols, left, right, merged);
                addPairs(word, w, +1, pairCounts, pairWords);
            }
            pairCounts.remove(best);
            pairWords.remove(best);
        }
        return new Vocabulary(List.copyOf(tokens), List.copyOf(merges));
    }

    private static void addPairs(Word word, int index, int sign, Map<Long, Long> pairCounts,
                                 Map<Long, Set<Integer>> pairWords) {
        int[] s = word.symbols;
        for (int i = 0; i + 1 < s.length; i++) {
            long pair = ((long) s[i] << 32) | (s[i + 1] & 0xFFFFFFFFL);
            long count = pairCounts.merge(pair, sign * word.count, Long::sum);
            if (sign > 0) {
                pairWords.computeIfAbsent(pair, p -> new HashSet<>()).add(index);
            } else if (count == 0) {
                pairCounts.remove(pair);
            }
        }
    }

    /** Replaces every non-overlapping (left, right), scanning left to right, by merged. */
    private static int[] merge(int[] symbols, int left, int right, int merged) {
        int[] out = new int[symbols.length];
        int n = 0;
        for (int i = 0; i < symbols.length; i++) {
            if (i + 1 < symbols.length && symbols[i] == left && symbols[i + 1] == right) {
                out[n++] = merged;
                i++;
            } else {
                out[n++] = symbols[i];
            }
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * Writes tokenizer.json (and a tokenizer_config.json for transformers) into {@code dir}: a
     * ByteLevel pre-tokenizer without a prefix space (so decoding gives back the exact text), the BPE
     * model, a post-processor that puts &lt;s&gt; first as Llama's does, and the ByteLevel decoder.
     */
    public static void write(Vocabulary vocabulary, Path dir, int modelMaxLength) throws IOException {
        List<Map<String, Object>> added = new ArrayList<>();
        for (int id = 0; id < SPECIAL_TOKENS.size(); id++) {
            Map<String, Object> token = new LinkedHashMap<>();
            token.put("id", id);
            token.put("content", SPECIAL_TOKENS.get(id));
            token.put("single_word", false);
            token.put("lstrip", false);
            token.put("rstrip", false);
            token.put("normalized", false);
            token.put("special", true);
            added.add(token);
        }
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int id = 0; id < vocabulary.tokens().size(); id++) {
            vocab.put(vocabulary.tokens().get(id), id);
        }
        List<String> merges = vocabulary.merges().stream().map(m -> m[0] + " " + m[1]).toList();

        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", null);
        model.put("continuing_subword_prefix", null);
        model.put("end_of_word_suffix", null);
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        model.put("vocab", vocab);
        model.put("merges", merges);

        Map<String, Object> tokenizer = new LinkedHashMap<>();
        tokenizer.put("version", "1.0");
        tokenizer.put("truncation", null);
        tokenizer.put("padding", null);
        tokenizer.put("added_tokens", added);
        tokenizer.put("normalizer", null);
        tokenizer.put("pre_tokenizer", byteLevel(false, true));
        tokenizer.put("post_processor", Map.of(
                "type", "TemplateProcessing",
                "single", List.of(special("<s>"), sequence("A")),
                "pair", List.of(special("<s>"), sequence("A"), special("<s>"), sequence("B")),
                "special_tokens", Map.of("<s>", Map.of("id", "<s>", "ids", List.of(1), "tokens", List.of("<s>")))));
        tokenizer.put("decoder", byteLevel(false, true));
        tokenizer.put("model", model);
        Json.write(dir.resolve(HfTokenizer.FILE), tokenizer);

        Map<String, Object> config = new LinkedHashMap<>();
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        config.put("bos_token", "<s>");
        config.put("eos_token", "</s>");
        config.put("pad_token", "<pad>");
        config.put("add_bos_token", true);
        config.put("add_eos_token", false);
        config.put("clean_up_tokenization_spaces", false);
        config.put("model_max_length", modelMaxLength);
        Json.write(dir.resolve("tokenizer_config.json"), config);
    }

    private static Map<String, Object> byteLevel(boolean addPrefixSpace, boolean trimOffsets) {
        Map<String, Object> byteLevel = new LinkedHashMap<>();
        byteLevel.put("type", "ByteLevel");
        byteLevel.put("add_prefix_space", addPrefixSpace);
        byteLevel.put("trim_offsets", trimOffsets);
        byteLevel.put("use_regex", true);
        return byteLevel;
    }

    private static Map<String, Object> special(String token) {
        return Map.of("SpecialToken", Map.of("id", token, "type_id", 0));
    }

    private static Map<String, Object> sequence(String id) {
        return Map.of("Sequence", Map.of("id", id, "type_id", 0));
    }
}
