package dev.lyrics.mojo;

import dev.lyrics.eval.LanguageModel;
import dev.lyrics.eval.ModelLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.BiFunction;

/** Opens fake models in place of the project's, and records the name of each model it opened. */
final class FakeModelLoader implements ModelLoader {
    /** Which model to open for a name: the adapter directory for a transformer, null for a recurrent model. */
    private final BiFunction<String, Path, LanguageModel> models;
    private final List<String> opened = new ArrayList<>();

    FakeModelLoader(BiFunction<String, Path, LanguageModel> models) {
        this.models = models;
    }

    /** The names of the models opened so far, in order. */
    List<String> opened() {
        return opened;
    }

    @Override
    public LanguageModel transformer(String name, Path modelDir, Path adapterDir) {
        opened.add(name);
        return models.apply(name, adapterDir);
    }

    @Override
    public LanguageModel recurrent(String name, Path stageDir) {
        opened.add(name);
        return models.apply(name, null);
    }

    @Override
    public SortedMap<String, String> environment() {
        return new TreeMap<>(Map.of("engine", "fake", "device", "cpu", "dtype", "float32"));
    }
}
