package dev.lyrics.generate;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.lyrics.core.Json;
import dev.lyrics.core.Log;
import dev.lyrics.core.Progress;
import dev.lyrics.dataset.AlpacaRecord;
import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.lm.Decoder;
import dev.lyrics.lm.LanguageModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.codec.digest.DigestUtils;

/** Samples every planned prompt from its model and measures each text. */
public final class Generation {
    /** Opens a model when its turn comes, so that only one model is in memory at a time. */
    @FunctionalInterface
    public interface ModelOpener {
        LanguageModel open() throws IOException;
    }

    /** One model and the prompts it is given. */
    public record Plan(String model, ModelOpener opener, List<Prompt> prompts) {}

    /**
     * @param artist      the artist asked for, or null where the prompt names none
     * @param text        what the model reads before sampling
     * @param temperature this prompt's temperature
     * @param seed        this prompt's seed
     */
    public record Prompt(String artist, String text, double temperature, long seed) {}

    private Generation() {}

    /** The Alpaca prompt for an artist: the template up to the response, {artist} filled into the input. */
    public static String alpacaPrompt(PromptTemplate template, String instruction, String inputPattern, String artist) {
        PromptTemplate.Rendered rendered = template.render(
                new AlpacaRecord(instruction, inputPattern.replace("{artist}", artist), ""));
        return rendered.text().substring(0, rendered.responseStart());
    }

    /**
     * A seed per artist from the configured one: the same artist gets the same random stream from
     * every model (paired samples), and adding an artist changes no other artist's sample.
     */
    public static long seedFor(long seed, String artist) {
        byte[] hash = DigestUtils.sha256((seed + "\n" + (artist == null ? "" : artist)).getBytes(StandardCharsets.UTF_8));
        return ByteBuffer.wrap(hash).getLong();
    }

    public static List<Sample> sample(List<Plan> plans, SamplingSettings settings, CopyIndex training, Log log)
            throws IOException {
        int total = plans.stream().mapToInt(plan -> plan.prompts().size()).sum();
        Progress progress = new Progress(log, "lyrics:generate", "samples", total);
        List<Sample> samples = new ArrayList<>();
        for (Plan plan : plans) {
            try (LanguageModel model = plan.opener().open()) {
                for (Prompt prompt : plan.prompts()) {
                    long start = System.nanoTime();
                    GeneratedText generated;
                    try (Decoder decoder = model.decoder(prompt.text())) {
                        generated = new Sampler(settings.withTemperature(prompt.temperature()))
                                .generate(decoder, prompt.seed());
                    }
                    double seconds = (System.nanoTime() - start) / 1e9;
                    log.info(String.format(Locale.ROOT, "lyrics:generate %s%s: %d %ss in %.1fs (%.1f/s)%s",
                            plan.model(), prompt.artist() == null ? "" : " / " + prompt.artist(),
                            generated.unitIds().length, model.unit(), seconds, generated.unitIds().length / seconds,
                            generated.endReached() ? "" : ", cut at max_new_tokens"));
                    samples.add(new Sample(plan.model(), prompt.artist(), prompt.text(), prompt.temperature(),
                            prompt.seed(), generated.unitIds().length, generated.endReached(), generated.text(),
                            SampleMetrics.of(generated.text(), training)));
                    progress.update(samples.size(), null);
                }
            }
        }
        return samples;
    }

    /** The metrics' mean over real songs (the held-out ones), the yardstick for the samples'. */
    public static Samples.Reference reference(String source, List<String> songs, CopyIndex training) {
        Map<String, Double> sums = new TreeMap<>();
        for (String song : songs) {
            Map<String, Object> metrics = Json.MAPPER.convertValue(SampleMetrics.of(song, training), new TypeReference<>() {});
            metrics.forEach((name, value) -> {
                if (value instanceof Number number) {
                    sums.merge(name, number.doubleValue(), Double::sum);
                }
            });
        }
        Map<String, Double> mean = new TreeMap<>();
        sums.forEach((name, sum) -> mean.put(name, SampleMetrics.rounded(sum / songs.size())));
        return new Samples.Reference(source, songs.size(), mean);
    }
}
