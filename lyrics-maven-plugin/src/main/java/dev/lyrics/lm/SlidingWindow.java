package dev.lyrics.lm;

import java.util.ArrayList;
import java.util.List;

/**
 * Hugging Face's strided perplexity recipe as a plan: how a sequence of ids longer than a model's
 * context is cut into windows so that every id after the first is scored exactly once.
 *
 * <p>Position 0 (BOS) is context only: nothing precedes it. Window k reads ids [begin, end) and
 * scores positions [scoreFrom, end), each from the logits of the position before it; positions in
 * [begin, scoreFrom) are context that an earlier window scored. Windows begin at 0, stride,
 * 2 stride, ... as in the recipe ({@code for begin in range(0, len, stride): end = min(begin + max_length, len)}).
 *
 * <p>A stride equal to the context means windows that do not overlap: consecutive windows share
 * one id, the context of the next window's first scored id. (The recipe itself leaves that id
 * unscored; here the advance is at most context - 1 so no id goes unscored.)
 *
 * @param context most ids one window reads (at least 2)
 * @param stride  how far each window's end moves past the previous one (1 to context)
 */
public record SlidingWindow(int context, int stride) {
    public SlidingWindow {
        if (context < 2) {
            throw new IllegalArgumentException("context must be at least 2, is " + context);
        }
        if (stride < 1 || stride > context) {
            throw new IllegalArgumentException("stride must be in [1, context=" + context + "], is " + stride);
        }
    }

    /**
     * One window of a plan.
     *
     * @param begin     first id read
     * @param end       one past the last id read and scored
     * @param scoreFrom first id scored; ids before it are context only
     */
    public record Window(int begin, int end, int scoreFrom) {
        /** How many ids this window scores. */
        public int scored() {
            return end - scoreFrom;
        }
    }

    /** The windows for a sequence of {@code length} ids (BOS included); none when there is nothing to score. */
    public List<Window> plan(int length) {
        List<Window> windows = new ArrayList<>();
        int advance = Math.min(stride, context - 1);
        int scoredEnd = 1;
        for (int begin = 0; scoredEnd < length; begin += advance) {
            int end = Math.min(begin + context, length);
            windows.add(new Window(begin, end, scoredEnd));
            scoredEnd = end;
        }
        return windows;
    }
}
