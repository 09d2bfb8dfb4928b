package dev.lyrics.generate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the longest run of words that a text shares verbatim with any training song: a suffix
 * automaton over the training songs' words (songs kept apart by a boundary no text contains), so
 * indexing costs time linear in the training set and each query time linear in its text.
 */
public final class CopyIndex {
    private static final int BOUNDARY = -1;
    private static final int UNKNOWN = -2;

    private final Map<String, Integer> wordIds = new HashMap<>();
    // suffix automaton: per state, the longest string it stands for, its suffix link and transitions
    private final List<Integer> length = new ArrayList<>();
    private final List<Integer> link = new ArrayList<>();
    private final List<Map<Integer, Integer>> next = new ArrayList<>();
    private int last;

    /** The longest shared run: where it starts in the queried words and how many words it has. */
    public record Span(int start, int length) {}

    /** @param songs the training songs, each as its lyric words (see {@link LyricText#words}) */
    public CopyIndex(List<List<String>> songs) {
        last = newState(0, -1);
        for (List<String> song : songs) {
            for (String word : song) {
                extend(wordIds.computeIfAbsent(word, w -> wordIds.size()));
            }
            extend(BOUNDARY);
        }
    }

    /** The longest run of consecutive words that occurs in one training song; the first such run on ties. */
    public Span longestCopiedSpan(List<String> words) {
        int state = 0;
        int matched = 0;
        Span best = new Span(0, 0);
        for (int i = 0; i < words.size(); i++) {
            int symbol = wordIds.getOrDefault(words.get(i), UNKNOWN);
            while (state != 0 && !next.get(state).containsKey(symbol)) {
                state = link.get(state);
                matched = length.get(state);
            }
            Integer target = next.get(state).get(symbol);
            if (target == null) {
                state = 0;
                matched = 0;
            } else {
                state = target;
                matched++;
            }
            if (matched > best.length()) {
                best = new Span(i - matched + 1, matched);
            }
        }
        return best;
    }

    private int newState(int stateLength, int suffixLink) {
        length.add(stateLength);
        link.add(suffixLink);
        next.add(new HashMap<>());
        return length.size() - 1;
    }

    /** The textbook online construction (Blumer et al.), one symbol at a time. */
    private void extend(int symbol) {
        int current = newState(length.get(last) + 1, 0);
        int p = last;
        while (p != -1 && !next.get(p).containsKey(symbol)) {
            next.get(p).put(symbol, current);
            p = link.get(p);
        }
        if (p != -1) {
            int q = next.get(p).get(symbol);
            if (length.get(p) + 1 == length.get(q)) {
                link.set(current, q);
            } else {
                int clone = newState(length.get(p) + 1, link.get(q));
                next.get(clone).putAll(next.get(q));
                while (p != -1 && next.get(p).get(symbol) == q) {
                    next.get(p).put(symbol, clone);
                    p = link.get(p);
                }
                link.set(q, clone);
                link.set(current, clone);
            }
        }
        last = current;
    }
}
