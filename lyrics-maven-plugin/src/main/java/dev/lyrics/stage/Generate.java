package dev.lyrics.stage;

import dev.lyrics.cache.Stage;
import dev.lyrics.cache.StageContext;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.Files2;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.core.Log;
import dev.lyrics.dataset.AlpacaRecord;
import dev.lyrics.dataset.DatasetInfo;
import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.dataset.SongText;
import dev.lyrics.eval.ModelFamily;
import dev.lyrics.eval.ModelLoader;
import dev.lyrics.eval.ModelUnderTest;
import dev.lyrics.eval.PerplexityResults;
import dev.lyrics.eval.StudyModelLoader;
import dev.lyrics.generate.CopyIndex;
import dev.lyrics.generate.Generation;
import dev.lyrics.generate.LyricText;
import dev.lyrics.generate.Sample;
import dev.lyrics.generate.Samples;
import dev.lyrics.generate.SamplesMarkdown;
import dev.lyrics.generate.SamplingSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * lyrics:generate: samples lyrics per artist from the fine-tuned model (and the base model, for
 * contrast) with the study's Alpaca prompt, and one text from each recurrent model after
 * "&lt;|song_start|&gt;\n"; measures every text and writes samples.json and samples.md.
 */
public final class Generate implements Stage<Generate.Settings> {
    public static final String GOAL = "generate";
    static final String SAMPLES = "samples.json";
    static final String TABLE = "samples.md";
    private static final String OUTPUT_DIRECTORY = "lyrics.outputDirectory";

    private final LoaderFactory<Settings> loaders;

    /** The project's models, each behind a memory plan for one sample. */
    public Generate() {
        this(Generate::studyLoader);
    }

    /** @param loaders opens the models (tests pass fakes) */
    public Generate(LoaderFactory<Settings> loaders) {
        this.loaders = loaders;
    }

    /**
     * @param trainJson          the training split, for the samples' copy metrics (lyrics:preprocess)
     * @param testJson           the test split, the metrics' reference
     * @param promptTemplate     the Alpaca template the transformers read (lyrics.promptTemplate)
     * @param models             the models found, base first: their files and their stages' keys are keyed
     * @param sampleBase         also samples the base model, for contrast
     * @param artists            the artists to write for, in order
     * @param instruction        the prompt's Alpaca instruction
     * @param inputTemplate      the prompt's Alpaca input; {artist} is replaced by the artist
     * @param artistTemperatures per-artist temperatures, each for an artist of {@code artists}
     * @param seed               every sample's seed is derived from this and the artist
     * @param execution          where and how the models run
     */
    public record Settings(Path trainJson, Path testJson, String promptTemplate, List<ModelUnderTest> models,
            boolean sampleBase, List<String> artists, String instruction, String inputTemplate,
            SortedMap<String, Double> artistTemperatures, double temperature, int topK, double topP, double repetitionPenalty,
            int maxNewTokens, long seed, Execution execution) {
        public Settings {
            ConfigException.require(temperature >= 0, "lyrics.generate.temperature", temperature, "must be 0 (greedy) or more");
            ConfigException.require(topK >= 0, "lyrics.generate.topK", topK, "must be 0 (off) or more");
            ConfigException.require(topP > 0 && topP <= 1, "lyrics.generate.topP", topP, "must be in (0, 1]");
            ConfigException.require(repetitionPenalty > 0, "lyrics.generate.repetitionPenalty", repetitionPenalty,
                    "must be positive (1 is no penalty)");
            ConfigException.require(maxNewTokens >= 1, "lyrics.generate.maxNewTokens", maxNewTokens, "must be at least 1");
            ConfigException.require(inputTemplate.contains("{artist}"), "lyrics.generate.inputTemplate", inputTemplate,
                    "must contain {artist}");
            ConfigException.require(!artists.isEmpty(), "lyrics.generate.artists", artists, "must name at least one artist");
            for (String artist : artistTemperatures.keySet()) {
                ConfigException.require(artists.contains(artist), "lyrics.generate.artistTemperatures", artistTemperatures,
                        "each entry must be for one of the artists " + artists);
            }
            PromptTemplate.parameter(promptTemplate);
            models = List.copyOf(models);
            artists = List.copyOf(artists);
            artistTemperatures = Collections.unmodifiableSortedMap(new TreeMap<>(artistTemperatures));
        }

        public PromptTemplate template() {
            return PromptTemplate.parameter(promptTemplate);
        }

        public SamplingSettings sampling() {
            return new SamplingSettings(temperature, topK, topP, repetitionPenalty, maxNewTokens);
        }

        /** The models sampled: the base model only when {@link #sampleBase}. */
        public List<ModelUnderTest> sampled() {
            return models.stream().filter(model -> sampleBase || !model.name().equals(PerplexityResults.BASE)).toList();
        }

        /**
         * The longest prompt in UTF-8 bytes (no tokenizer piece is shorter than a byte), BOS, and the new
         * tokens: a bound on one sample's sequence that needs no model.
         */
        int plannedTokens() {
            long longest = 0;
            for (String artist : artists) {
                longest = Math.max(longest, Generation.alpacaPrompt(template(), instruction, inputTemplate, artist)
                        .getBytes(StandardCharsets.UTF_8).length);
            }
            return (int) Math.min(Integer.MAX_VALUE, longest + 1 + maxNewTokens);
        }
    }

    /**
     * The artists listed, or when none is, every artist of the training split in sorted order.
     *
     * @param datasetInfo lyrics:preprocess's statistics ({@code Preprocess.Outputs#datasetInfoFile}), read only when
     *                    no artist is listed; a path, so that this stage's code does not reach the preprocess stage's
     */
    public static List<String> artists(List<String> listed, Path datasetInfo) throws IOException {
        if (!listed.isEmpty()) {
            return listed;
        }
        List<String> names = DatasetInfo.read(StageFiles.require(datasetInfo, "preprocess", "or list <artists>")).trainingArtists();
        if (names.isEmpty()) {
            throw InputException.at(datasetInfo, "no train.artists; list <artists> or -Dlyrics.generate.artists");
        }
        return names;
    }

    /** "Asaph=0.7" entries (lyrics.generate.artistTemperatures), each for one of the artists. */
    public static SortedMap<String, Double> temperatures(List<String> entries, List<String> artists) {
        SortedMap<String, Double> out = new TreeMap<>();
        for (String entry : entries) {
            int at = entry.lastIndexOf('=');
            String artist = at < 0 ? "" : entry.substring(0, at).strip();
            double value;
            try {
                value = Double.parseDouble(entry.substring(at + 1).strip());
            } catch (NumberFormatException e) {
                value = -1;
            }
            ConfigException.require(artists.contains(artist) && value >= 0, "lyrics.generate.artistTemperatures", entry,
                    "each entry must be artist=temperature, for one of the artists " + artists);
            out.put(artist, value);
        }
        return out;
    }

    @Override
    public String goal() {
        return GOAL;
    }

    @Override
    public void run(Settings settings, StageContext context) throws Exception {
        settings.execution().startEngine();
        ModelLoader loader = loaders.loader(settings, context.log());
        List<ModelUnderTest> models = settings.sampled();
        List<Generation.Plan> plans = new ArrayList<>();
        for (ModelUnderTest model : models) {
            plans.add(plan(settings, model, loader));
        }
        SamplingSettings sampling = settings.sampling();
        CopyIndex training = new CopyIndex(AlpacaRecord.readAll(settings.trainJson(), OUTPUT_DIRECTORY).stream()
                .map(record -> new LyricText(record.output()).words()).toList());
        List<Sample> sampled = Generation.sample(plans, sampling, training, context.log());
        Samples.Reference reference = Generation.reference("test split",
                AlpacaRecord.readAll(settings.testJson(), OUTPUT_DIRECTORY).stream().map(AlpacaRecord::output).toList(), training);
        Samples samples = new Samples(sampling, settings.seed(), reference, sampled);
        Json.write(context.outputDir().resolve(SAMPLES), samples);
        Files2.writeAtomically(context.outputDir().resolve(TABLE), SamplesMarkdown.render(samples));
        context.log().info("lyrics:generate " + sampled.size() + " samples from " + models.size() + " models");
    }

    /** A transformer writes once per artist; a recurrent model, which knows no artist, once from the start of a song. */
    private static Generation.Plan plan(Settings settings, ModelUnderTest model, ModelLoader loader) {
        List<Generation.Prompt> prompts = new ArrayList<>();
        Generation.ModelOpener opener;
        if (model.family() == ModelFamily.TRANSFORMER) {
            for (String artist : settings.artists()) {
                prompts.add(new Generation.Prompt(artist,
                        Generation.alpacaPrompt(settings.template(), settings.instruction(), settings.inputTemplate(), artist),
                        settings.artistTemperatures().getOrDefault(artist, settings.temperature()),
                        Generation.seedFor(settings.seed(), artist)));
            }
            opener = () -> loader.transformer(model.name(), model.modelDir(), model.adapterDir());
        } else {
            prompts.add(new Generation.Prompt(null, SongText.OPENING, settings.temperature(),
                    Generation.seedFor(settings.seed(), null)));
            opener = () -> loader.recurrent(model.name(), model.modelDir());
        }
        return new Generation.Plan(model.name(), opener, prompts);
    }

    private static StudyModelLoader studyLoader(Settings settings, Log log) {
        Execution execution = settings.execution();
        return new StudyModelLoader(execution.toDevice(), execution.toDtype(), 0, 0,
                execution.quantization())
                .planning("lyrics:generate", 1, settings.plannedTokens(), "Lower lyrics.generate.maxNewTokens", log);
    }

    /** What lyrics:generate wrote, for the report; every file checked to exist when read. */
    public record Outputs(Path dir) {
        /** samples.json, whether or not it exists. */
        public Path samplesFile() {
            return dir.resolve(SAMPLES);
        }

        /** samples.json, typed. */
        public Samples samples() throws IOException {
            return Samples.read(StageFiles.require(samplesFile(), GOAL, ""));
        }

        /** samples.md: the samples as Markdown. */
        public Path table() {
            return StageFiles.require(dir.resolve(TABLE), GOAL, "");
        }
    }
}
