package dev.lyrics.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lyrics.dataset.AlpacaRecord;
import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.lm.ScoredText;
import dev.lyrics.lm.SlidingWindow;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MetricTest {
    private static final double EPS = 1e-9;
    private static final int V = 37;

    @Test
    void uniformModelHasPerplexityVUnderEveryDefinition() {
        List<TestText> texts = List.of(
                new TestText("a", "one two three", 0, 13),
                new TestText("b", "four five six seven eight nine", 0, 30),
                new TestText("c", "ten", 0, 3));
        UniformModel model = UniformModel.words("uniform", V);
        ScoreTally tally = new ScoreTally();
        for (TestText text : texts) {
            tally.add(text, model.score(text.text()), Optional.empty());
        }
        assertEquals(V, Metric.CORPUS_PERPLEXITY.value(tally), EPS * V);
        assertEquals(V, Metric.STUDY_PERPLEXITY.value(tally), EPS * V);
        assertEquals(V, Metric.RESPONSE_PERPLEXITY.value(tally), EPS * V);
        assertEquals(V, Metric.WORD_PERPLEXITY.value(tally), EPS * V);
        long bytes = texts.stream().mapToLong(t -> t.text().getBytes(StandardCharsets.UTF_8).length).sum();
        assertEquals(10, tally.units());
        assertEquals(Math.log(V) / Math.log(2) * 10 / bytes, Metric.BITS_PER_BYTE.value(tally), EPS);
    }

    @Test
    void uniformTransformerThroughTheTemplateAndWindows() {
        PromptTemplate template = new PromptTemplate(PromptTemplate.STUDY);
        TestSet testSet = new TestSet(List.of(
                new AlpacaRecord("Write a psalm in the style of David.", "", "The LORD is my shepherd;\nI shall not want."),
                new AlpacaRecord("Write a psalm.", "Asaph", "Truly God is good to Israel.")), template, List.of());
        UniformModel model = UniformModel.chars("base", V).windowed(new SlidingWindow(16, 5));
        ScoreTally tally = new ScoreTally();
        for (TestText text : testSet.textsFor(ModelFamily.TRANSFORMER)) {
            tally.add(text, model.score(text.text()), model.window());
        }
        for (Metric metric : List.of(Metric.CORPUS_PERPLEXITY, Metric.STUDY_PERPLEXITY, Metric.RESPONSE_PERPLEXITY)) {
            assertEquals(V, metric.value(tally), EPS * V, metric.key());
        }
        String lyrics = "The LORD is my shepherd;\nI shall not want.Truly God is good to Israel.";
        assertEquals(lyrics.length(), tally.responseUnits());
        assertEquals(Math.log(V) / Math.log(2) * lyrics.length() / lyrics.length(), Metric.BITS_PER_BYTE.value(tally), EPS);
        assertEquals(Math.pow(V, lyrics.length() / 15.0), Metric.WORD_PERPLEXITY.value(tally), 1e-6 * Math.pow(V, lyrics.length() / 15.0));
        // every text is longer than the 16-token context: more windows than texts
        assertEquals(2, tally.texts());
        long expectedWindows = testSet.textsFor(ModelFamily.TRANSFORMER).stream()
                .mapToLong(t -> new SlidingWindow(16, 5).plan(t.text().length() + 1).size()).sum();
        assertEquals(expectedWindows, tally.windows());
    }

    @Test
    void bitsPerByteCountsUtf8BytesOfMultibyteText() {
        // é is 2 bytes, the emoji 4 (two chars in Java), a 1: 3 code points, 7 bytes
        String lyrics = "é\uD83D\uDE00a";
        TestSet testSet = new TestSet(List.of(), new PromptTemplate(PromptTemplate.STUDY), List.of(lyrics));
        TestText song = testSet.textsFor(ModelFamily.RECURRENT).get(0);
        assertEquals(7, song.responseBytes());
        UniformModel model = UniformModel.chars("rnn-gru-char", V);
        ScoreTally tally = new ScoreTally();
        ScoredText scored = model.score(song.text());
        tally.add(song, scored, Optional.empty());
        // response units: the 3 code points, then the closing "\n<|song_end|>\n" (which this fake cuts into chars)
        long responseUnits = 3 + "\n<|song_end|>\n".length();
        assertEquals(responseUnits, tally.responseUnits());
        // bits per byte: the 3 code points' NLL over their 7 bytes; the closing delimiter is not part of the lyrics
        assertEquals(3, tally.lyricsUnits());
        assertEquals(Math.log(V) / Math.log(2) * 3 / 7, Metric.BITS_PER_BYTE.value(tally), EPS);
    }

    @Test
    void bytesAndWordsFiguresLeaveTheEndOfSequenceOutWhileResponsePerplexityKeepsIt() {
        // "ab cd": the response "cd" is 2 chars; units end at 1, 3, 4, 5 and EOS one past the text (6)
        ScoreTally tally = new ScoreTally();
        tally.add(new TestText("a", "ab cd", 3, 5),
                new ScoredText(new double[] {-1, -1, -3, -5, -7}, new int[] {1, 3, 4, 5, 6}), Optional.empty());
        assertEquals(3, tally.responseUnits(), "c, d and EOS");
        assertEquals(Math.exp(15 / 3.0), Metric.RESPONSE_PERPLEXITY.value(tally), EPS);
        assertEquals(2, tally.lyricsUnits(), "c and d");
        assertEquals(Math.exp(8 / 1.0), Metric.WORD_PERPLEXITY.value(tally), EPS);
        assertEquals(8 / (Math.log(2) * 2), Metric.BITS_PER_BYTE.value(tally), EPS);
    }

    @Test
    void theTwoAveragesDifferOnTextsOfDifferentLengthsAsByHand() {
        // text a: 2 units of NLL 1 (mean 1); text b: 4 units of NLL 2 (mean 2)
        ScoreTally tally = new ScoreTally();
        tally.add(new TestText("a", "ab", 0, 2), scored(1, 1), Optional.empty());
        tally.add(new TestText("b", "cdef", 0, 4), scored(2, 2, 2, 2), Optional.empty());
        assertEquals(Math.exp((1 + 1 + 2 + 2 + 2 + 2) / 6.0), Metric.CORPUS_PERPLEXITY.value(tally), EPS);
        assertEquals(Math.exp((1 + 2) / 2.0), Metric.STUDY_PERPLEXITY.value(tally), EPS);
    }

    @Test
    void theStudysFigureAveragesOverWindowsOfLongTexts() {
        // 5 ids after BOS, context 4, stride 2: windows score positions 1-3 and 4-5
        ScoreTally tally = new ScoreTally();
        tally.add(new TestText("a", "abcde", 0, 5), scored(1, 2, 3, 4, 5), Optional.of(new SlidingWindow(4, 2)));
        assertEquals(2, tally.windows());
        assertEquals(Math.exp((2.0 + 4.5) / 2), Metric.STUDY_PERPLEXITY.value(tally), EPS);
        assertEquals(Math.exp(15.0 / 5), Metric.CORPUS_PERPLEXITY.value(tally), EPS);
    }

    @Test
    void responseMetricsCountOnlyUnitsEndingAfterTheResponseStart() {
        // "ab|cd": units end at 1, 2, 3, 4; the response starts at char 2
        ScoreTally tally = new ScoreTally();
        tally.add(new TestText("a", "ab cd", 3, 5), new ScoredText(new double[] {-1, -1, -3, -5}, new int[] {1, 3, 4, 5}),
                Optional.empty());
        assertEquals(2, tally.responseUnits());
        assertEquals(Math.exp(8 / 2.0), Metric.RESPONSE_PERPLEXITY.value(tally), EPS);
        assertEquals(Math.exp(8 / 1.0), Metric.WORD_PERPLEXITY.value(tally), EPS);
        assertEquals(8 / (Math.log(2) * 2), Metric.BITS_PER_BYTE.value(tally), EPS);
        assertEquals(Math.exp(10 / 4.0), Metric.CORPUS_PERPLEXITY.value(tally), EPS);
    }

    private static ScoredText scored(double... nll) {
        double[] logProbs = new double[nll.length];
        int[] ends = new int[nll.length];
        for (int i = 0; i < nll.length; i++) {
            logProbs[i] = -nll[i];
            ends[i] = i + 1;
        }
        return new ScoredText(logProbs, ends);
    }
}
