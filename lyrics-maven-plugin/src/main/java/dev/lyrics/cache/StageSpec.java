package dev.lyrics.cache;

import java.nio.file.Path;
import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Everything that decides a stage's outputs: its goal and name, its input files, its resolved
 * parameters and (for model work) the environment it runs in. Two specs with the same key give
 * the same outputs, so the key names a cache entry. Secrets never go in here.
 *
 * @param goal        the plugin goal ("finetune")
 * @param name        the stage's name, unique within the project ("finetune", "rnn-gru-char")
 * @param inputs      named input files or directories, hashed by content
 * @param params      resolved parameters as canonical strings, keyed by their property suffix ("lora.r")
 * @param environment engine, device and dtype where a model runs
 * @param outputDir   where the outputs are published for the rest of the build
 * @param codeRoot    the class whose reachable code is fingerprinted into the key; null for the whole plugin
 */
public record StageSpec(
        String goal,
        String name,
        SortedMap<String, Path> inputs,
        SortedMap<String, String> params,
        SortedMap<String, String> environment,
        Path outputDir,
        Class<?> codeRoot) {

    public StageSpec {
        Objects.requireNonNull(goal, "goal");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(outputDir, "outputDir");
        inputs = Collections.unmodifiableSortedMap(new TreeMap<>(inputs));
        params = Collections.unmodifiableSortedMap(new TreeMap<>(params));
        environment = Collections.unmodifiableSortedMap(new TreeMap<>(environment));
    }

    public static Builder builder(String goal, String name, Path outputDir) {
        return new Builder(goal, name, outputDir);
    }

    /**
     * The spec of a core stage: its settings' keyed components (see {@link SettingsKey}) and its own
     * code, so that it is cached apart from every other stage.
     */
    public static <S extends Record> StageSpec of(Stage<S> stage, String name, S settings, Path outputDir) {
        Builder builder = new Builder(stage.goal(), name, outputDir);
        builder.codeRoot = stage.getClass();
        return SettingsKey.describe(settings, builder).build();
    }

    /** Collects inputs and parameters; values are turned into canonical strings. */
    public static final class Builder {
        private final String goal;
        private final String name;
        private final Path outputDir;
        private final SortedMap<String, Path> inputs = new TreeMap<>();
        private final SortedMap<String, String> params = new TreeMap<>();
        private final SortedMap<String, String> environment = new TreeMap<>();
        private Class<?> codeRoot;

        private Builder(String goal, String name, Path outputDir) {
            this.goal = goal;
            this.name = name;
            this.outputDir = outputDir;
        }

        public Builder input(String inputName, Path path) {
            inputs.put(inputName, path);
            return this;
        }

        /** A parameter that can change an output; null is recorded as absent. */
        public Builder param(String key, Object value) {
            if (value != null) {
                params.put(key, SettingsKey.canonical(key, value));
            }
            return this;
        }

        public Builder environment(String key, String value) {
            environment.put(key, value);
            return this;
        }

        public StageSpec build() {
            return new StageSpec(goal, name, inputs, params, environment, outputDir, codeRoot);
        }

    }
}
