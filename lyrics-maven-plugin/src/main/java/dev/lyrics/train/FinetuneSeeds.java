package dev.lyrics.train;

import dev.lyrics.core.ConfigException;
import java.util.HashSet;
import java.util.List;

/**
 * One LoRA fine-tune per seed (lyrics.finetune.seeds), to measure training noise. The first seed
 * keeps the names a single fine-tune has (stage "finetune", model "finetuned"), so a build with the
 * default single seed is the one it always was; every further seed gets "-seed-&lt;seed&gt;" on both.
 */
public final class FinetuneSeeds {
    /** The property that lists the seeds. */
    public static final String PROPERTY = "lyrics.finetune.seeds";

    /** The model the first seed's fine-tune makes, as perplexity.json and the baseline name it. */
    public static final String FINETUNED = "finetuned";

    private FinetuneSeeds() {}

    /** The seeds, checked: at least one, none twice. */
    public static List<Long> check(List<Long> seeds) {
        ConfigException.require(seeds != null && !seeds.isEmpty(), PROPERTY, seeds, "must list at least one seed");
        ConfigException.require(new HashSet<>(seeds).size() == seeds.size(), PROPERTY, seeds, "lists a seed twice");
        return List.copyOf(seeds);
    }

    /** The stage that trains seed number {@code index} (0 for the first) of the fine-tune stage {@code stage}. */
    public static String stage(String stage, List<Long> seeds, int index) {
        return index == 0 ? stage : stage + "-seed-" + seeds.get(index);
    }

    /** The model that seed number {@code index} makes, as perplexity.json and the baseline name it. */
    public static String model(List<Long> seeds, int index) {
        return index == 0 ? FINETUNED : FINETUNED + "-seed-" + seeds.get(index);
    }
}
