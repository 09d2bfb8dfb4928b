package dev.lyrics.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.databind.JsonNode;
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
 */
public final class HfTokenizer implements AutoCloseable {
    public static final String FILE = "tokenizer.json";

    /** Token ids of a text and, for each token, the char index (Java String index) just after it. */
    public record Encoded(long[] ids, int[] charEnds) {}

    private final Path file;
    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, Integer> addedTokens;
    private final int vocabSize;

    private HfTokenizer(Path file, HuggingFaceTokenizer tokenizer, Map<String, Integer> addedTokens, int vocabSize) {
        this.file = file;
        this.tokenizer = tokenizer;
        this.addedTokens = addedTokens;
        this.vocabSize = vocabSize;
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
        System.setProperty("ai.djl.offline", "true");
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(file, Map.of(
                    "truncation", "false", "padding", "false", "addSpecialTokens", "false"));
        } catch (RuntimeException e) {
            throw InputException.at(file, "the tokenizers library rejected it: " + e.getMessage());
        }
        return new HfTokenizer(file, tokenizer, added, maxId + 1);
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
        Encoding encoding = tokenizer.encode(text, false, false);
        long[] ids = encoding.getIds();
        CharSpan[] spans = encoding.getCharTokenSpans();
        // the library counts code points; Java strings count UTF-16 units
        int[] charIndex = new int[text.codePointCount(0, text.length()) + 1];
        for (int cp = 0, i = 0; i < text.length(); cp++) {
            charIndex[cp] = i;
            i += Character.charCount(text.codePointAt(i));
        }
        charIndex[charIndex.length - 1] = text.length();
        int[] ends = new int[ids.length];
        for (int t = 0; t < ids.length; t++) {
            ends[t] = spans[t] == null ? (t == 0 ? 0 : ends[t - 1]) : charIndex[Math.min(spans[t].getEnd(), charIndex.length - 1)];
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
