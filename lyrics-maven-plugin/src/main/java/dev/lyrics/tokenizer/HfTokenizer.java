package dev.lyrics.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.Djl;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * A Hugging Face tokenizer.json (the project's byte-level BPE, or Mistral's own) through DJL's
 * native tokenizers library. Truncation and padding are off: DJL would otherwise cut every text
 * to 512 tokens without a word. Special tokens are never added here; callers put BOS/EOS where
 * their format wants them.
 *
 * <p>SentencePiece models (Mistral's, Llama 2's) put a "▁" before the text (add_dummy_prefix).
 * Their tokenizer.json does it with a Metaspace pre-tokenizer (prepend_scheme "first"), which
 * skips the prefix when the text already begins with a space: " word" becomes "▁word" where
 * SentencePiece, and so the model in training, reads "▁▁word". This class gives SentencePiece's
 * ids by encoding such a tokenizer's text behind one space of its own (which Metaspace turns into
 * the prefix and then adds none), and counts the char offsets from the text's own start.
 */
public final class HfTokenizer implements AutoCloseable {
    public static final String FILE = "tokenizer.json";

    /** Token ids of a text and, for each token, the char index (Java String index) just after it. */
    public record Encoded(long[] ids, int[] charEnds) {}

    private final Path file;
    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, Integer> addedTokens;
    private final int vocabSize;
    private final boolean dummyPrefix;

    private HfTokenizer(Path file, HuggingFaceTokenizer tokenizer, Map<String, Integer> addedTokens, int vocabSize,
                        boolean dummyPrefix) {
        this.file = file;
        this.tokenizer = tokenizer;
        this.addedTokens = addedTokens;
        this.vocabSize = vocabSize;
        this.dummyPrefix = dummyPrefix;
    }

    /** Loads tokenizer.json from a model directory (or the file itself). */
    public static HfTokenizer load(Path dirOrFile) throws IOException {
        Path file = Files.isDirectory(dirOrFile) ? dirOrFile.resolve(FILE) : dirOrFile;
        if (!Files.isRegularFile(file)) {
            throw InputException.at(file, "tokenizer.json not found");
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw InputException.at(file, "not valid JSON (" + e.getMessage() + ")");
        }
        Map<String, Integer> added = new TreeMap<>();
        int maxId = -1;
        for (JsonNode token : root.path("added_tokens")) {
            added.put(token.path("content").asText(), token.path("id").asInt());
            maxId = Math.max(maxId, token.path("id").asInt());
        }
        for (Iterator<JsonNode> ids = root.path("model").path("vocab").elements(); ids.hasNext(); ) {
            maxId = Math.max(maxId, ids.next().asInt());
        }
        if (maxId < 0) {
            throw InputException.at(file, "no model.vocab: not a tokenizer.json this loader understands");
        }
        Djl.offlineByDefault();
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(file, Map.of(
                    "truncation", "false", "padding", "false", "addSpecialTokens", "false"));
        } catch (RuntimeException e) {
            throw InputException.at(file, "the tokenizers library rejected it: " + e.getMessage());
        }
        return new HfTokenizer(file, tokenizer, added, maxId + 1, prependsMetaspace(root.path("pre_tokenizer")));
    }

    /** Whether the pre-tokenizer (or one of a sequence) is a Metaspace that prepends "▁" to the text. */
    private static boolean prependsMetaspace(JsonNode preTokenizer) {
        if ("Sequence".equals(preTokenizer.path("type").asText())) {
            for (JsonNode step : preTokenizer.path("pretokenizers")) {
                if (prependsMetaspace(step)) {
                    return true;
                }
            }
            return false;
        }
        if (!"Metaspace".equals(preTokenizer.path("type").asText())) {
            return false;
        }
        // tokenizers before 0.19 wrote add_prefix_space instead of prepend_scheme
        String scheme = preTokenizer.path("prepend_scheme")
                .asText(preTokenizer.path("add_prefix_space").asBoolean(true) ? "always" : "never");
        return !scheme.equals("never");
    }

    public Path file() {
        return file;
    }

    /** One more than the largest token id (the model's vocab_size must be at least this). */
    public int vocabSize() {
        return vocabSize;
    }

    /** The id of an added (special) token such as "&lt;s&gt;", or -1. */
    public int addedTokenId(String content) {
        return addedTokens.getOrDefault(content, -1);
    }

    public Encoded encode(String text) {
        int shift = dummyPrefix && !text.isEmpty() ? 1 : 0;
        String read = shift == 1 ? " " + text : text;
        Encoding encoding = tokenizer.encode(read, false, false);
        long[] ids = encoding.getIds();
        CharSpan[] spans = encoding.getCharTokenSpans();
        // the library counts code points; Java strings count UTF-16 units
        int[] charIndex = new int[read.codePointCount(0, read.length()) + 1];
        for (int cp = 0, i = 0; i < read.length(); cp++) {
            charIndex[cp] = i;
            i += Character.charCount(read.codePointAt(i));
        }
        charIndex[charIndex.length - 1] = read.length();
        int[] ends = new int[ids.length];
        for (int t = 0; t < ids.length; t++) {
            int end = spans[t] == null ? (t == 0 ? 0 : ends[t - 1] + shift)
                    : charIndex[Math.min(spans[t].getEnd(), charIndex.length - 1)];
            ends[t] = Math.max(0, end - shift);
        }
        return new Encoded(ids, ends);
    }

    /** Text of the ids, special tokens left out. */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
