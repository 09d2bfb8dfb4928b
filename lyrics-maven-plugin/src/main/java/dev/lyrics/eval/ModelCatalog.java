package dev.lyrics.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.train.FinetuneSeeds;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds the models of a build: the base checkpoint, the fine-tuned adapter's stage and the
 * recurrent models' stages, with the cache key each stage recorded in stages/&lt;stage&gt;.json.
 */
public final class ModelCatalog {
    static final String ADAPTER_CONFIG = "adapter_config.json";
    static final String ADAPTER_WEIGHTS = "adapter_model.safetensors";
    static final String RECURRENT_CONFIG = "config.json";
    static final String RECURRENT_WEIGHTS = "model.safetensors";
    static final String RECURRENT_VOCABULARY = "vocab.json";
    /** Stands for "no such model" (an empty POM element would fall back to the parameter's default). */
    public static final String NONE = "none";

    private final Path stagesRoot;
    private final String goal;

    /**
     * @param stagesRoot where stages publish their outputs (target/lyrics), with the runner's records in stages/
     * @param goal       the goal that needs the models ("perplexity", "generate"), for what missing-model errors say
     */
    public ModelCatalog(Path stagesRoot, String goal) {
        this.stagesRoot = stagesRoot;
        this.goal = goal;
    }

    /**
     * @param baseModel         a Hugging Face directory
     * @param finetuneStage     the fine-tune stage's name, or "none"
     * @param recurrentStages   stage names or globs ("rnn-*"); a glob takes the stage directories that hold a
     *                          model; "none" or no entry for none
     */
    public List<ModelUnderTest> discover(Path baseModel, String finetuneStage, List<String> recurrentStages) throws IOException {
        return discover(baseModel, finetuneStage, List.of(0L), recurrentStages);
    }

    /**
     * As {@link #discover(Path, String, List)}, with one fine-tuned model per seed: "finetuned" from
     * {@code finetuneStage}, then one more per further seed (see {@link FinetuneSeeds}).
     */
    public List<ModelUnderTest> discover(Path baseModel, String finetuneStage, List<Long> seeds, List<String> recurrentStages)
            throws IOException {
        if (!Files.isRegularFile(baseModel.resolve("config.json"))) {
            throw InputException.at(baseModel, "no config.json: not a Hugging Face model directory;"
                    + " set <baseModel> or -Dlyrics.baseModel");
        }
        List<ModelUnderTest> models = new ArrayList<>();
        models.add(new ModelUnderTest(PerplexityResults.BASE, ModelFamily.TRANSFORMER, baseModel, null, null, null));
        if (!isNone(finetuneStage)) {
            for (int i = 0; i < seeds.size(); i++) {
                String stage = FinetuneSeeds.stage(finetuneStage.strip(), seeds, i);
                Path adapter = stagesRoot.resolve(stage);
                require(adapter, ADAPTER_WEIGHTS, "run lyrics:finetune before lyrics:" + goal
                        + (seeds.size() > 1 ? " (with the same " + FinetuneSeeds.PROPERTY + ")" : "") + ", or set <finetuneStage> to " + NONE);
                models.add(new ModelUnderTest(FinetuneSeeds.model(seeds, i), ModelFamily.TRANSFORMER, baseModel, adapter,
                        stage, stageKey(stage)));
            }
        }
        for (String stage : recurrentStageNames(recurrentStages)) {
            Path dir = stagesRoot.resolve(stage);
            require(dir, RECURRENT_WEIGHTS, "run the recurrent model's training before lyrics:" + goal + ","
                    + " or remove it from <recurrentStages>");
            models.add(new ModelUnderTest(stage, ModelFamily.RECURRENT, dir, null, stage, stageKey(stage)));
        }
        return models;
    }

    /** Names in the order given; each glob's matches sorted; every stage once. */
    private List<String> recurrentStageNames(List<String> patterns) throws IOException {
        List<String> names = new ArrayList<>();
        for (String pattern : patterns) {
            if (isNone(pattern)) {
                continue;
            }
            if (pattern.chars().noneMatch(c -> "*?[{".indexOf(c) >= 0)) {
                names.add(pattern.strip());
                continue;
            }
            PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + pattern.strip());
            if (Files.isDirectory(stagesRoot)) {
                try (Stream<Path> dirs = Files.list(stagesRoot)) {
                    dirs.filter(dir -> matcher.matches(dir.getFileName()))
                            .filter(dir -> Files.isRegularFile(dir.resolve(RECURRENT_WEIGHTS)))
                            .map(dir -> dir.getFileName().toString())
                            .sorted()
                            .forEach(names::add);
                }
            }
        }
        return names.stream().distinct().toList();
    }

    private static boolean isNone(String stage) {
        return stage == null || stage.isBlank() || stage.strip().equals(NONE);
    }

    private static void require(Path dir, String file, String remedy) {
        if (!Files.isRegularFile(dir.resolve(file))) {
            throw InputException.at(dir.resolve(file), "not found; " + remedy);
        }
    }

    /** The key the cache runner recorded for a stage, or null when it left no record. */
    private String stageKey(String stage) throws IOException {
        Path record = stagesRoot.resolve("stages").resolve(stage + ".json");
        if (!Files.isRegularFile(record)) {
            return null;
        }
        JsonNode key = Json.MAPPER.readTree(record.toFile()).path("key");
        return key.isTextual() ? key.asText() : null;
    }
}
