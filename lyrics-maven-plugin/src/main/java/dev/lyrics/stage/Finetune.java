package dev.lyrics.stage;

import dev.lyrics.cache.Stage;
import dev.lyrics.cache.StageContext;
import dev.lyrics.core.ConfigException;
import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.train.FinetuneSeeds;
import dev.lyrics.train.LoraFinetune;
import dev.lyrics.train.LoraTrainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * lyrics:finetune, the LoRA fine-tune of the base model: the Alpaca train set through the prompt
 * template and the base model's tokenizer, LoRA training, and the peft adapter with loss.jsonl,
 * memory.json and training.json. One stage per seed.
 */
public final class Finetune implements Stage<Finetune.Settings> {
    public static final String GOAL = "finetune";

    /** The stage of the first seed; further seeds are "finetune-seed-&lt;seed&gt;". */
    public static final String STAGE = "finetune";

    /**
     * @param trainJson      the preprocess stage's train.json
     * @param baseModel      a Hugging Face directory (config.json, weights, tokenizer.json)
     * @param promptTemplate the Alpaca template, shared with perplexity and generation
     * @param training       LoRA and its optimiser, schedule and batches
     * @param execution      where and how the model trains
     */
    public record Settings(Path trainJson, Path baseModel, String promptTemplate, LoraTrainer.Settings training,
            Execution execution) {
        public Settings {
            PromptTemplate.parameter(promptTemplate);
            training.validate(LoraFinetune.PREFIX);
            try {
                LoraFinetune.checkBaseModel(baseModel, "lyrics.baseModel");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** The same fine-tune with another seed. */
        public Settings withSeed(long seed) {
            return new Settings(trainJson, baseModel, promptTemplate, training.withSeed(seed), execution);
        }
    }

    /** One fine-tune of the list: the stage's name and its settings. */
    public record Run(String name, Settings settings) {}

    /** The fine-tune of each seed (lyrics.finetune.seeds, checked), the first under the plain stage name. */
    public static List<Run> perSeed(Settings settings, List<Long> seeds) {
        List<Long> checked = FinetuneSeeds.check(seeds);
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < checked.size(); i++) {
            runs.add(new Run(FinetuneSeeds.stage(STAGE, checked, i), settings.withSeed(checked.get(i))));
        }
        return runs;
    }

    /** lyrics.finetune.gradientCheckpointing: auto is on for a GPU, where activations are what runs out of memory. */
    public static boolean gradientCheckpointing(String value, Execution execution) {
        return switch (value == null ? "auto" : value) {
            case "auto" -> execution.toDevice().isGpu();
            case "true" -> true;
            case "false" -> false;
            default -> throw ConfigException.of("lyrics.finetune.gradientCheckpointing", value, "must be auto, true or false");
        };
    }

    @Override
    public String goal() {
        return GOAL;
    }

    @Override
    public void run(Settings settings, StageContext context) throws Exception {
        Execution execution = settings.execution();
        execution.startEngine();
        LoraFinetune.run(new LoraFinetune.Request(settings.trainJson(), settings.baseModel(),
                new PromptTemplate(settings.promptTemplate()), settings.training(), execution.toDevice(), execution.toDtype(),
                execution.quantization()), context);
    }
}
