package dev.lyrics.mojo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.cache.StageRunner;
import dev.lyrics.cache.StageSpec;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.Files2;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.core.Log;
import dev.lyrics.dataset.AlpacaRecord;
import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.dataset.SongText;
import dev.lyrics.eval.ModelFamily;
import dev.lyrics.eval.ModelLoader;
import dev.lyrics.eval.ModelUnderTest;
import dev.lyrics.eval.PerplexityResults;
import dev.lyrics.generate.CopyIndex;
import dev.lyrics.generate.Generation;
import dev.lyrics.generate.LyricText;
import dev.lyrics.generate.Sample;
import dev.lyrics.generate.Samples;
import dev.lyrics.generate.SamplesMarkdown;
import dev.lyrics.generate.SamplingSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Samples lyrics per artist from the fine-tuned model (and the base model, for contrast) with the
 * study's Alpaca prompt, and one text from each recurrent model after "&lt;|song_start|&gt;\n";
 * measures every text and writes generate/samples.json and samples.md.
 */
@Mojo(name = "generate", defaultPhase = LifecyclePhase.VERIFY, threadSafe = true)
public class GenerateMojo extends AbstractEvaluationMojo {
    /** Skips this goal. */
    @Parameter(property = "lyrics.generate.skip", defaultValue = "false")
    boolean skipGenerate;

    /** Also samples the base model with the same prompts and seeds, for contrast. */
    @Parameter(property = "lyrics.generate.sampleBase", defaultValue = "true")
    boolean sampleBase;

    /** The artists to write for, in order; empty takes every artist of the training split. */
    @Parameter(property = "lyrics.generate.artists")
    List<String> artists;

    /** The prompt's Alpaca instruction. */
    @Parameter(property = "lyrics.generate.instruction", defaultValue = "Write song lyrics in the requested style.")
    String instruction;

    /** The prompt's Alpaca input; {artist} is replaced by the artist. */
    @Parameter(property = "lyrics.generate.inputTemplate", defaultValue = "Help me write a song in the style of {artist}.")
    String inputTemplate;

    /** Divides the logits; 0 samples greedily. */
    @Parameter(property = "lyrics.generate.temperature", defaultValue = "0.8")
    double temperature;

    /** Per-artist temperatures as artist=temperature entries (the study used 0.7 for one artist). */
    @Parameter(property = "lyrics.generate.artistTemperatures")
    List<String> artistTemperatures;

    /** Keeps the k most likely units before top-p; 0 keeps all (Hugging Face generate() applies 50 unless told). */
    @Parameter(property = "lyrics.generate.topK", defaultValue = "50")
    int topK;

    /** Nucleus sampling: the smallest most-likely set of units whose probability reaches this. */
    @Parameter(property = "lyrics.generate.topP", defaultValue = "0.9")
    double topP;

    /** Divides positive and multiplies negative logits of units already in the prompt or the sample. */
    @Parameter(property = "lyrics.generate.repetitionPenalty", defaultValue = "1.3")
    double repetitionPenalty;

    /** The most units sampled per text. */
    @Parameter(property = "lyrics.generate.maxNewTokens", defaultValue = "256")
    int maxNewTokens;

    /** Every sample's seed is derived from this and the artist. */
    @Parameter(property = "lyrics.generate.seed", defaultValue = "3407")
    long seed;

    @Override
    protected String goal() {
        return "generate";
    }

    @Override
    protected boolean goalSkipped() {
        return skipGenerate;
    }

    @Override
    protected void run(StageRunner runner, Log log) throws Exception {
        PromptTemplate template = validate();
        List<Path> inputs = preprocessed("train.json", "test.json");
        Path trainJson = inputs.get(0);
        Path testJson = inputs.get(1);
        List<String> listed = nonBlank(artists);
        List<String> artistList = listed.isEmpty() ? trainingArtists(stageDir("preprocess")) : listed;
        SortedMap<String, Double> temperatures = artistTemperatures(artistList);
        List<ModelUnderTest> models = models().stream()
                .filter(model -> sampleBase || !model.name().equals(PerplexityResults.BASE)).toList();
        plannedTokens = plannedTokens(template, artistList);
        ModelLoader loader = modelLoader();
        SamplingSettings settings = new SamplingSettings(temperature, topK, topP, repetitionPenalty, maxNewTokens);

        StageSpec.Builder spec = StageSpec.builder("generate", "generate", stageDir("generate"))
                .input("train.json", trainJson)
                .input("test.json", testJson)
                .param("promptTemplate", template.template())
                .param("generate.instruction", instruction)
                .param("generate.inputTemplate", inputTemplate)
                .param("generate.artists", artistList)
                .param("generate.temperature", temperature)
                .param("generate.artistTemperatures", temperatures.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList())
                .param("generate.topK", topK)
                .param("generate.topP", topP)
                .param("generate.repetitionPenalty", repetitionPenalty)
                .param("generate.maxNewTokens", maxNewTokens)
                .param("generate.seed", seed);
        addModels(spec, models, loader);
        List<Generation.Plan> plans = new ArrayList<>();
        for (ModelUnderTest model : models) {
            plans.add(plan(model, loader, template, artistList, temperatures));
        }

        runner.run(spec.build(), context -> {
            CopyIndex training = new CopyIndex(lyricWords(AlpacaRecord.readAll(trainJson, OUTPUT_DIRECTORY)));
            List<Sample> sampled = Generation.sample(plans, settings, training, context.log());
            Samples.Reference reference = Generation.reference("test split",
                    AlpacaRecord.readAll(testJson, OUTPUT_DIRECTORY).stream().map(AlpacaRecord::output).toList(), training);
            Samples samples = new Samples(settings, seed, reference, sampled);
            Json.write(context.outputDir().resolve("samples.json"), samples);
            Files2.writeAtomically(context.outputDir().resolve("samples.md"), SamplesMarkdown.render(samples));
            context.log().info("lyrics:generate " + sampled.size() + " samples from " + models.size() + " models");
        });
    }

    private Generation.Plan plan(ModelUnderTest model, ModelLoader loader, PromptTemplate template, List<String> artistList,
            SortedMap<String, Double> temperatures) {
        List<Generation.Prompt> prompts = new ArrayList<>();
        Generation.ModelOpener opener;
        if (model.family() == ModelFamily.TRANSFORMER) {
            for (String artist : artistList) {
                prompts.add(new Generation.Prompt(artist, Generation.alpacaPrompt(template, instruction, inputTemplate, artist),
                        temperatures.getOrDefault(artist, temperature), Generation.seedFor(seed, artist)));
            }
            opener = () -> loader.transformer(model.name(), model.modelDir(), model.adapterDir());
        } else {
            // a recurrent model knows no artist: one text from the start of a song
            prompts.add(new Generation.Prompt(null, SongText.OPENING, temperature, Generation.seedFor(seed, null)));
            opener = () -> loader.recurrent(model.name(), model.modelDir());
        }
        return new Generation.Plan(model.name(), opener, prompts);
    }

    /** Most tokens one sample holds, for the memory plan: set by run before the loader is made. */
    private int plannedTokens;

    /**
     * The longest prompt in UTF-8 bytes (no tokenizer piece is shorter than a byte), BOS, and the new
     * tokens: a bound on one sample's sequence that needs no model.
     */
    private int plannedTokens(PromptTemplate template, List<String> artistList) {
        long longest = 0;
        for (String artist : artistList) {
            longest = Math.max(longest, Generation.alpacaPrompt(template, instruction, inputTemplate, artist)
                    .getBytes(StandardCharsets.UTF_8).length);
        }
        return (int) Math.min(Integer.MAX_VALUE, longest + 1 + maxNewTokens);
    }

    /** The project's models, each behind a memory plan for one sample of {@link #plannedTokens} tokens. */
    @Override
    ModelLoader modelLoader() {
        return studyModelLoader(0, 0).planning("lyrics:generate", 1, plannedTokens,
                "Lower lyrics.generate.maxNewTokens", new MavenLog(getLog()));
    }

    private PromptTemplate validate() {
        ConfigException.require(temperature >= 0, "lyrics.generate.temperature", temperature, "must be 0 (greedy) or more");
        ConfigException.require(topK >= 0, "lyrics.generate.topK", topK, "must be 0 (off) or more");
        ConfigException.require(topP > 0 && topP <= 1, "lyrics.generate.topP", topP, "must be in (0, 1]");
        ConfigException.require(repetitionPenalty > 0, "lyrics.generate.repetitionPenalty", repetitionPenalty,
                "must be positive (1 is no penalty)");
        ConfigException.require(maxNewTokens >= 1, "lyrics.generate.maxNewTokens", maxNewTokens, "must be at least 1");
        ConfigException.require(inputTemplate.contains("{artist}"), "lyrics.generate.inputTemplate", inputTemplate,
                "must contain {artist}");
        return promptTemplate(promptTemplate);
    }

    /** "Asaph=0.7" entries, each for an artist that is sampled. */
    private SortedMap<String, Double> artistTemperatures(List<String> artistList) {
        SortedMap<String, Double> out = new TreeMap<>();
        for (String entry : nonBlank(artistTemperatures)) {
            int at = entry.lastIndexOf('=');
            String artist = at < 0 ? "" : entry.substring(0, at).strip();
            double value;
            try {
                value = Double.parseDouble(entry.substring(at + 1).strip());
            } catch (NumberFormatException e) {
                value = -1;
            }
            ConfigException.require(artistList.contains(artist) && value >= 0, "lyrics.generate.artistTemperatures", entry,
                    "each entry must be artist=temperature, for one of the artists " + artistList);
            out.put(artist, value);
        }
        return out;
    }

    /** The artists of the training split, from dataset_info.json, in sorted order. */
    private static List<String> trainingArtists(Path preprocess) throws IOException {
        Path info = preprocess.resolve("dataset_info.json");
        if (!Files.isRegularFile(info)) {
            throw InputException.at(info, "not found; run lyrics:preprocess, or list <artists>");
        }
        JsonNode artists = Json.MAPPER.readTree(info.toFile()).path("train").path("artists");
        List<String> names = new ArrayList<>();
        artists.fieldNames().forEachRemaining(names::add);
        if (names.isEmpty()) {
            throw InputException.at(info, "no train.artists; list <artists> or -Dlyrics.generate.artists");
        }
        return names.stream().sorted().toList();
    }

    private static List<List<String>> lyricWords(List<AlpacaRecord> records) {
        return records.stream().map(record -> new LyricText(record.output()).words()).toList();
    }
}
