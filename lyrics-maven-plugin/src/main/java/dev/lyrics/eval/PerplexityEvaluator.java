package dev.lyrics.eval;

import dev.lyrics.core.Log;
import dev.lyrics.core.Progress;
import dev.lyrics.lm.LanguageModel;
import dev.lyrics.lm.ScoredText;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Scores the test split with each model in turn, one model open at a time, in batches. */
public final class PerplexityEvaluator {
    private final ModelLoader loader;
    private final int batchSize;
    private final Log log;

    public PerplexityEvaluator(ModelLoader loader, int batchSize, Log log) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, is " + batchSize);
        }
        this.loader = loader;
        this.batchSize = batchSize;
        this.log = log;
    }

    public PerplexityResults evaluate(List<ModelUnderTest> models, TestSet testSet) {
        List<ModelResult> results = new ArrayList<>();
        for (ModelUnderTest model : models) {
            results.add(evaluate(model, testSet.textsFor(model.family())));
        }
        return new PerplexityResults(results, testSet.template().template());
    }

    ModelResult evaluate(ModelUnderTest model, List<TestText> texts) {
        try (LanguageModel lm = open(model)) {
            ScoreTally tally = new ScoreTally();
            Progress progress = new Progress(log, "lyrics:perplexity [" + model.name() + "]", "texts", texts.size());
            long start = System.nanoTime();
            for (int from = 0; from < texts.size(); from += batchSize) {
                List<TestText> batch = texts.subList(from, Math.min(from + batchSize, texts.size()));
                List<ScoredText> scored = lm.score(batch.stream().map(TestText::text).toList());
                if (scored.size() != batch.size()) {
                    throw new IllegalStateException(model.name() + " returned " + scored.size() + " scores for "
                            + batch.size() + " texts");
                }
                for (int i = 0; i < batch.size(); i++) {
                    tally.add(batch.get(i), scored.get(i), lm.window());
                }
                progress.update(from + batch.size(), tally.units() + " " + lm.unit() + "s");
            }
            double seconds = Math.max((System.nanoTime() - start) / 1e9, 1e-9);
            log.info(String.format(Locale.ROOT, "lyrics:perplexity [%s] scored %d %ss of %d texts in %.1fs (%.0f %ss/s)",
                    model.name(), tally.units(), lm.unit(), tally.texts(), seconds, tally.units() / seconds, lm.unit()));
            return new ModelResult(model, lm.unit(), lm.window().orElse(null), tally);
        }
    }

    private LanguageModel open(ModelUnderTest model) {
        return switch (model.family()) {
            case TRANSFORMER -> loader.transformer(model.name(), model.modelDir(), model.adapterDir());
            case RECURRENT -> loader.recurrent(model.name(), model.modelDir());
        };
    }
}
