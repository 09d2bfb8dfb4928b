package dev.lyrics.eval;

import dev.lyrics.lm.Decoder;
import dev.lyrics.lm.LanguageModel;
import dev.lyrics.lm.ScoredText;
import dev.lyrics.lm.SlidingWindow;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A fake model that gives every unit probability 1/V: every perplexity of it is V. */
public final class UniformModel implements LanguageModel {
    /** Java's regex matches a supplementary character (two chars) as one. */
    private static final Pattern CODE_POINT = Pattern.compile(".", Pattern.DOTALL);
    private static final Pattern WORD = Pattern.compile("\\S+");

    private final String name;
    private final String unit;
    private final int vocabularySize;
    private final Pattern units;
    private final SlidingWindow window;
    private final List<Integer> batchSizes = new ArrayList<>();
    private boolean closed;

    private UniformModel(String name, String unit, int vocabularySize, Pattern units, SlidingWindow window) {
        this.name = name;
        this.unit = unit;
        this.vocabularySize = vocabularySize;
        this.units = units;
        this.window = window;
    }

    /** One unit per code point (a char-level model, or a stand-in for a byte-level tokenizer). */
    public static UniformModel chars(String name, int vocabularySize) {
        return new UniformModel(name, "char", vocabularySize, CODE_POINT, null);
    }

    /** One unit per whitespace-separated word. */
    public static UniformModel words(String name, int vocabularySize) {
        return new UniformModel(name, "word", vocabularySize, WORD, null);
    }

    /** The same model, reporting that it scores long texts through a sliding window. */
    public UniformModel windowed(SlidingWindow slidingWindow) {
        return new UniformModel(name, "token", vocabularySize, units, slidingWindow);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String unit() {
        return unit;
    }

    @Override
    public ScoredText score(String text) {
        List<Integer> ends = new ArrayList<>();
        Matcher m = units.matcher(text);
        while (m.find()) {
            ends.add(m.end());
        }
        double[] logProbs = new double[ends.size()];
        java.util.Arrays.fill(logProbs, -Math.log(vocabularySize));
        return new ScoredText(logProbs, ends.stream().mapToInt(Integer::intValue).toArray());
    }

    @Override
    public List<ScoredText> score(List<String> texts) {
        batchSizes.add(texts.size());
        return LanguageModel.super.score(texts);
    }

    @Override
    public Optional<SlidingWindow> window() {
        return Optional.ofNullable(window);
    }

    @Override
    public Decoder decoder(String prompt) {
        throw new UnsupportedOperationException("a scoring fake");
    }

    @Override
    public void close() {
        closed = true;
    }

    /** The size of each batch score(List) was called with. */
    public List<Integer> batchSizes() {
        return batchSizes;
    }

    public boolean closed() {
        return closed;
    }
}
