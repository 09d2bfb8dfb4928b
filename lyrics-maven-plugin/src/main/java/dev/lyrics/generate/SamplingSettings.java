package dev.lyrics.generate;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How the next unit is chosen, with Hugging Face generate() semantics and its order of logits
 * processors: repetition penalty, then temperature, top-k, top-p.
 *
 * @param temperature       divides the logits; 0 means greedy (argmax, no randomness)
 * @param topK              keeps the k most likely units (ties with the k-th kept); 0 keeps all.
 *                          generate() applies its default of 50 when sampling unless told otherwise
 * @param topP              nucleus: keeps the smallest most-likely-first set whose probability
 *                          reaches topP (the most likely unit always); 1 keeps all
 * @param repetitionPenalty for every unit already in the prompt or the sample, a positive logit is
 *                          divided by it and a negative one multiplied; 1 is no penalty
 * @param maxNewTokens      the most units sampled after the prompt
 */
public record SamplingSettings(
        @JsonProperty("temperature") double temperature,
        @JsonProperty("top_k") int topK,
        @JsonProperty("top_p") double topP,
        @JsonProperty("repetition_penalty") double repetitionPenalty,
        @JsonProperty("max_new_tokens") int maxNewTokens) {

    public SamplingSettings {
        if (temperature < 0 || topK < 0 || topP <= 0 || topP > 1 || repetitionPenalty <= 0 || maxNewTokens < 0) {
            throw new IllegalArgumentException("invalid sampling settings " + temperature + ", " + topK + ", "
                    + topP + ", " + repetitionPenalty + ", " + maxNewTokens);
        }
    }

    public SamplingSettings withTemperature(double newTemperature) {
        return new SamplingSettings(newTemperature, topK, topP, repetitionPenalty, maxNewTokens);
    }
}
