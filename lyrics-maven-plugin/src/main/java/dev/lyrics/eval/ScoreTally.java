package dev.lyrics.eval;

import dev.lyrics.lm.ScoredText;
import dev.lyrics.lm.SlidingWindow;
import java.util.List;
import java.util.Optional;

/**
 * Sums over a test set of what the metrics need: negative log-likelihoods (nats) and the counts
 * they are averaged over. A text's "response units" are those ending after its response start
 * (the units that predict the lyrics and what closes them), as {@link ScoredText#nllFrom} counts;
 * its "lyrics units" are those ending inside the lyrics, as {@link ScoredText#nllWithin} counts:
 * the text the bytes and words of bits per byte and word perplexity are counted in.
 */
public final class ScoreTally {
    private long texts;
    private long windows;
    private long units;
    private double nll;
    private double windowMeanNllSum;
    private long responseUnits;
    private double responseNll;
    private long lyricsUnits;
    private double lyricsNll;
    private long responseBytes;
    private long responseWords;

    /**
     * Adds one scored text. With a sliding window, each window's scored units are a "text" of the
     * study's figure (as the study's per-example loss); without one the whole text is.
     */
    public void add(TestText text, ScoredText scored, Optional<SlidingWindow> window) {
        double[] logProbs = scored.logProbs();
        texts++;
        units += logProbs.length;
        for (double logProb : logProbs) {
            nll -= logProb;
        }
        // score() returns one log-prob per id after BOS: entry i is position i + 1 of the plan
        List<SlidingWindow.Window> plan = window.map(w -> w.plan(logProbs.length + 1))
                .orElse(List.of(new SlidingWindow.Window(0, logProbs.length + 1, 1)));
        for (SlidingWindow.Window w : plan) {
            if (w.scored() > 0) {
                double windowNll = 0;
                for (int position = w.scoreFrom(); position < w.end(); position++) {
                    windowNll -= logProbs[position - 1];
                }
                windowMeanNllSum += windowNll / w.scored();
                windows++;
            }
        }
        responseUnits += scored.countFrom(text.responseStart());
        responseNll += scored.nllFrom(text.responseStart());
        lyricsUnits += scored.countWithin(text.responseStart(), text.responseEnd());
        lyricsNll += scored.nllWithin(text.responseStart(), text.responseEnd());
        responseBytes += text.responseBytes();
        responseWords += text.responseWords();
    }

    public long texts() {
        return texts;
    }

    public long windows() {
        return windows;
    }

    public long units() {
        return units;
    }

    public double nll() {
        return nll;
    }

    public double windowMeanNllSum() {
        return windowMeanNllSum;
    }

    public long responseUnits() {
        return responseUnits;
    }

    public double responseNll() {
        return responseNll;
    }

    /** Units of the lyrics themselves: the response units without the end-of-song prediction. */
    public long lyricsUnits() {
        return lyricsUnits;
    }

    public double lyricsNll() {
        return lyricsNll;
    }

    public long responseBytes() {
        return responseBytes;
    }

    public long responseWords() {
        return responseWords;
    }
}
