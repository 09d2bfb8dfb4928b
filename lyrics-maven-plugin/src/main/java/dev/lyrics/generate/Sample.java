package dev.lyrics.generate;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One sampled text of samples.json.
 *
 * @param model       the model's name ("finetuned", "base", "rnn-lstm-char")
 * @param artist      the artist the prompt asked for; null for a recurrent model, which has no prompt for one
 * @param prompt      the text the model was given
 * @param temperature the temperature used (per-artist overrides applied)
 * @param seed        the seed of this sample's random draws
 * @param units       how many units were sampled
 * @param endReached  whether the model ended the text itself (false: max_new_tokens cut it)
 * @param text        the sampled text
 * @param metrics     what {@link SampleMetrics} measures of it
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Sample(
        @JsonProperty("model") String model,
        @JsonProperty("artist") String artist,
        @JsonProperty("prompt") String prompt,
        @JsonProperty("temperature") double temperature,
        @JsonProperty("seed") long seed,
        @JsonProperty("units") int units,
        @JsonProperty("end_reached") boolean endReached,
        @JsonProperty("text") String text,
        @JsonProperty("metrics") SampleMetrics metrics) {}
