package dev.lyrics.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lyrics.cache.HashIndex;
import dev.lyrics.cache.Stage;
import dev.lyrics.cache.StageKey;
import dev.lyrics.cache.StageSpec;
import dev.lyrics.cache.Unkeyed;
import dev.lyrics.core.Files2;
import dev.lyrics.dataset.Preprocessor;
import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.eval.ModelFamily;
import dev.lyrics.eval.ModelUnderTest;
import dev.lyrics.eval.PerplexityGate;
import dev.lyrics.lora.LoraConfig;
import dev.lyrics.quant.Quantization;
import dev.lyrics.rnn.RecurrentConfig;
import dev.lyrics.scrape.genius.GeniusSettings;
import dev.lyrics.scrape.genius.GeniusToken;
import dev.lyrics.train.LoraTrainer;
import dev.lyrics.train.Pretrainer;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every stage's cache key is derived from its settings record, so a setting that changes an output
 * cannot be left out of the key: this test finds every {@link Stage} of the plugin, takes an example
 * of its settings, changes each keyed component in turn (nested records and lists of records
 * included) and proves that the key changes; a component that cannot be changed to another valid
 * value fails the test. Components marked {@link Unkeyed} are listed here, each one reviewed.
 */
class SettingsKeyCompletenessTest {
    /** Every component that stays out of a key, as record.component: a new one must be added here on purpose. */
    private static final Set<String> UNKEYED = Set.of(
            "GeniusSettings.minInterval", "GeniusSettings.concurrency", "GeniusSettings.timeout", "GeniusSettings.retries",
            "GeniusSettings.backoff", "GeniusSettings.pageStore", "GeniusSettings.refreshPages", "Scrape$Settings.token",
            "LoraTrainer$Settings.checkpointSteps", "Perplexity$Settings.gate", "Report$Settings.lyricsDir");

    private static final Path CLASSES = Path.of("target/classes");
    private static final Path DATA = Path.of("../data").toAbsolutePath().normalize();

    @TempDir
    static Path tmp;

    private static Map<Class<?>, List<Record>> examples;

    @BeforeAll
    static void examples() throws IOException {
        // the examples reach every keyed component: nested records, lists of records, inputs
        Path preprocess = Files.createDirectories(tmp.resolve("preprocess"));
        for (String file : List.of("train.json", "test.json", "train_lyrics.txt", "test_lyrics.txt", "vocab_char.json",
                "vocab_word.json", "dataset_info.json")) {
            Files.writeString(preprocess.resolve(file), file);
        }
        Preprocess.Outputs preprocessed = new Preprocess.Outputs(preprocess, "lyrics.outputDirectory");
        Execution cpu = new Execution("PyTorch 2.7.1", "cpu()", "float32", 1, Quantization.NONE);
        Execution nf4 = new Execution("PyTorch 2.7.1", "cpu()", "float32", 1, new Quantization(Quantization.Type.NF4, true));
        LoraTrainer.Settings training = new LoraTrainer.Settings(new LoraConfig(32, 64, 0, List.of("q_proj", "v_proj"), false),
                2e-4, 0.01, 5, 3, 2, 8, 3407, 2048, 1.0, false, 5, 0.9, 0.999, 1e-8, false);
        RecurrentConfig gru = new RecurrentConfig(null, "gru", "char", 64, 256, 1, 0.1, 128, 16, 3, 2e-3, 0.0, 1.0, 3407, 0.1);
        examples = new LinkedHashMap<>();
        examples.put(Scrape.class, List.of(
                Scrape.Settings.corpus(DATA.resolve("psalms.jsonl"), List.of("David", "Asaph"), 40),
                Scrape.Settings.genius(new GeniusSettings(URI.create("https://api.genius.com"), URI.create("https://genius.com"),
                        List.of("Nas"), 50, false, List.of("remix", "live"), Duration.ofMillis(500), 2, Duration.ofSeconds(30),
                        5, Duration.ofSeconds(1), tmp.resolve("pages"), false), GeniusToken.find("secret-token", tmp.resolve("no.env"), null))));
        examples.put(Preprocess.class, List.of(new Preprocess.Settings(DATA.resolve("psalms.jsonl"),
                new Preprocessor.Settings(0.2, 3407, Preprocessor.DEFAULT_INSTRUCTIONS, Preprocessor.DEFAULT_INPUT_TEMPLATE, 2,
                        0.15))));
        examples.put(Pretrain.class, List.of(new Pretrain.Settings(DATA.resolve("kjv-pretrain.txt"),
                new Pretrainer.Settings(4096, 256, 688, 4, 4, 2, 256, false, 8, 1800, 0.0015, 0.1, 100,
                        Pretrainer.Settings.schedule("cosine"), 0.1, 0.9, 0.95, 1.0, 3407, 0.05, 250,
                        Pretrainer.Settings.storage("float16")), cpu)));
        examples.put(Finetune.class, List.of(new Finetune.Settings(preprocessed.trainJson(), DATA.resolve("models/kjv-base"),
                PromptTemplate.STUDY, training, nf4)));
        examples.put(RecurrentFinetune.class, List.copyOf(RecurrentFinetune.of(List.of(gru), preprocessed, cpu)));
        Path adapter = Files.createDirectories(tmp.resolve("lyrics/finetune"));
        Files.writeString(adapter.resolve("adapter_model.safetensors"), "adapter");
        Path rnn = Files.createDirectories(tmp.resolve("lyrics/rnn-gru-char"));
        Files.writeString(rnn.resolve("model.safetensors"), "weights");
        List<ModelUnderTest> models = List.of(
                new ModelUnderTest("base", ModelFamily.TRANSFORMER, DATA.resolve("models/kjv-base"), null, null, null),
                new ModelUnderTest("finetuned", ModelFamily.TRANSFORMER, DATA.resolve("models/kjv-base"), adapter, "finetune",
                        "a".repeat(64)),
                new ModelUnderTest("rnn-gru-char", ModelFamily.RECURRENT, rnn, null, "rnn-gru-char", "b".repeat(64)));
        examples.put(Perplexity.class, List.of(new Perplexity.Settings(preprocessed.testJson(), preprocessed.testLyrics(),
                PromptTemplate.STUDY, List.of(3407L, 42L), models, 256, 128, 8, cpu, new PerplexityGate.Settings(Double.POSITIVE_INFINITY,
                        0.15, 0.01, tmp.resolve("baseline.json"), false, List.of(), "finetune", List.of("rnn-*")))));
        examples.put(Generate.class, List.of(new Generate.Settings(preprocessed.trainJson(), preprocessed.testJson(),
                PromptTemplate.STUDY, models, true, List.of("David", "Asaph"), "Write song lyrics in the requested style.",
                "Help me write a song in the style of {artist}.", new TreeMap<>(Map.of("Asaph", 0.7)), 0.8, 50, 0.9, 1.3, 256,
                3407, cpu)));
        examples.put(Report.class, List.of(new Report.Settings(new TreeMap<>(Map.of("perplexity/perplexity.json",
                preprocessed.testJson(), "generate/samples.json", preprocessed.trainJson())), new TreeMap<>(Map.of("finetune",
                "c".repeat(64), "scrape", "d".repeat(64))), tmp.resolve("lyrics"))));
    }

    /** Every class of the plugin that implements Stage: a new stage is checked without editing this test. */
    private static List<Class<?>> stages() throws IOException, ClassNotFoundException {
        List<Class<?>> stages = new ArrayList<>();
        for (String file : Files2.listFiles(CLASSES)) {
            if (file.endsWith(".class") && file.startsWith("dev/lyrics/")) {
                Class<?> type = Class.forName(file.substring(0, file.length() - 6).replace('/', '.'), false,
                        SettingsKeyCompletenessTest.class.getClassLoader());
                if (Stage.class.isAssignableFrom(type) && !type.isInterface()) {
                    stages.add(type);
                }
            }
        }
        return stages;
    }

    @Test
    void everyStageHasAnExample() throws Exception {
        List<Class<?>> stages = stages();
        assertTrue(stages.size() >= 5, "stages found: " + stages);
        for (Class<?> stage : stages) {
            assertTrue(examples.containsKey(stage), stage.getName() + " has no example settings in this test: add one");
        }
    }

    @Test
    void changingAnyKeyedComponentChangesTheKey() throws Exception {
        Set<String> unkeyedSeen = new TreeSet<>();
        Set<String> nulls = new TreeSet<>();
        Set<String> seen = new TreeSet<>();
        int checked = 0;
        for (Map.Entry<Class<?>, List<Record>> entry : examples.entrySet()) {
            Stage<Record> stage = stage(entry.getKey());
            for (Record example : entry.getValue()) {
                String key = key(stage, example);
                assertEquals(key, key(stage, example), "the same settings give the same key");
                List<List<Step>> absent = new ArrayList<>();
                for (List<Step> path : leaves(example, new ArrayList<>(), unkeyedSeen, absent)) {
                    String where = entry.getKey().getSimpleName() + ": " + describe(path);
                    seen.add(where);
                    Record changed = changed(example, path, where);
                    assertNotEquals(key, key(stage, changed), where + " changed (" + changed + ") but the key did not: it must reach the key");
                    checked++;
                }
                for (List<Step> path : absent) {
                    nulls.add(entry.getKey().getSimpleName() + ": " + describe(path));
                }
            }
        }
        for (String absent : nulls) {
            // a component left null in one example (source corpus has no Genius settings) is checked in another
            // list elements count as one: models[0] may lack the adapter that models[1] has
            String component = absent.replaceAll("\\[\\d+]", "");
            assertTrue(seen.stream().anyMatch(path -> path.replaceAll("\\[\\d+]", "").startsWith(component)),
                    absent + " is null in every example: give one a value");
        }
        assertEquals(UNKEYED, unkeyedSeen, "the unkeyed components (each must be reviewed: thread counts are keyed)");
        assertTrue(checked > 60, "components checked: " + checked);
    }

    @Test
    void anUnkeyedComponentLeavesTheKeyAlone() throws Exception {
        Stage<Record> stage = stage(Scrape.class);
        Scrape.Settings genius = (Scrape.Settings) examples.get(Scrape.class).get(1);
        GeniusSettings politer = new GeniusSettings(genius.genius().apiUrl(), genius.genius().webUrl(), genius.artists(),
                genius.maxSongsPerArtist(), false, genius.genius().excludeTerms(), Duration.ofSeconds(3), 1, Duration.ofSeconds(90),
                9, Duration.ofSeconds(4), tmp.resolve("elsewhere"), true);
        assertEquals(key(stage, genius), key(stage, Scrape.Settings.genius(politer, GeniusToken.find("another-token", tmp.resolve("no.env"), null))));
        StageSpec spec = StageSpec.of(stage, "scrape", genius, tmp);
        assertFalse(spec.toString().contains("secret-token"), "the token never reaches a key");
    }

    @SuppressWarnings("unchecked")
    private static Stage<Record> stage(Class<?> type) throws ReflectiveOperationException {
        Constructor<?> constructor = type.getDeclaredConstructor();
        constructor.setAccessible(true);
        return (Stage<Record>) constructor.newInstance();
    }

    private static String key(Stage<Record> stage, Record settings) throws IOException {
        return StageKey.of(StageSpec.of(stage, "example", settings, tmp.resolve("out")), "code", HashIndex.none()).hash();
    }

    /** One step into a settings record: a component, and the element of it when it is a list of records. */
    private record Step(RecordComponent component, int index) {}

    private static String describe(List<Step> path) {
        StringBuilder sb = new StringBuilder();
        for (Step step : path) {
            sb.append(sb.length() == 0 ? "" : ".").append(step.component().getDeclaringRecord().getSimpleName()).append('.')
                    .append(step.component().getName()).append(step.index() >= 0 ? "[" + step.index() + "]" : "");
        }
        return sb.toString();
    }

    /** The paths to every keyed leaf component (records and lists of records are walked into). */
    private static List<List<Step>> leaves(Record record, List<Step> prefix, Set<String> unkeyedSeen, List<List<Step>> absent)
            throws Exception {
        List<List<Step>> leaves = new ArrayList<>();
        for (RecordComponent component : record.getClass().getRecordComponents()) {
            if (component.isAnnotationPresent(Unkeyed.class)) {
                assertFalse(component.getAnnotation(Unkeyed.class).value().isBlank(), component + " needs a reason");
                unkeyedSeen.add(record.getClass().getName().replaceAll(".*\\.", "") + "." + component.getName());
                continue;
            }
            Object value = read(record, component);
            List<Step> here = new ArrayList<>(prefix);
            if (value == null) {
                here.add(new Step(component, -1));
                absent.add(here);
            } else if (value instanceof Record nested) {
                here.add(new Step(component, -1));
                leaves.addAll(leaves(nested, here, unkeyedSeen, absent));
            } else if (value instanceof List<?> list && !list.isEmpty() && list.get(0) instanceof Record) {
                for (int i = 0; i < list.size(); i++) {
                    List<Step> element = new ArrayList<>(prefix);
                    element.add(new Step(component, i));
                    leaves.addAll(leaves((Record) list.get(i), element, unkeyedSeen, absent));
                }
            } else {
                here.add(new Step(component, -1));
                leaves.add(here);
            }
        }
        return leaves;
    }

    /** The record with the leaf at path set to another valid value; fails when no candidate is accepted. */
    private static Record changed(Record record, List<Step> path, String where) throws Exception {
        Step step = path.get(0);
        Object current = read(record, step.component());
        List<Object> candidates = new ArrayList<>();
        if (path.size() > 1 && step.index() < 0) {
            candidates.add(changed((Record) current, path.subList(1, path.size()), where));
        } else if (step.index() >= 0) {
            List<Object> list = new ArrayList<>((List<?>) current);
            list.set(step.index(), path.size() > 1 ? changed((Record) list.get(step.index()), path.subList(1, path.size()), where)
                    : list.get(step.index()));
            candidates.add(list);
        } else {
            candidates.addAll(alternatives(current, step.component().getGenericType()));
        }
        List<String> refusals = new ArrayList<>();
        for (Object candidate : candidates) {
            if (java.util.Objects.equals(candidate, current)) {
                continue;
            }
            try {
                return with(record, step.component(), candidate);
            } catch (ReflectiveOperationException e) {
                refusals.add(candidate + ": " + e.getCause());
            }
        }
        fail(where + ": no other valid value found among " + candidates + " " + refusals);
        return null;
    }

    /** Other values of a leaf, most harmless first. */
    private static List<Object> alternatives(Object value, Type type) throws IOException {
        List<Object> out = new ArrayList<>();
        if (value instanceof Integer i) {
            out.addAll(List.of(i + 1, i * 2, i - 1, i == 0 ? 1 : 0));
        } else if (value instanceof Long l) {
            out.addAll(List.of(l + 1, l - 1));
        } else if (value instanceof Double d) {
            out.addAll(List.of(d * 0.5, d == 0 ? 0.1 : d * 1.5, d + 1, d - 1, 0.0));
        } else if (value instanceof Boolean b) {
            out.add(!b);
        } else if (value instanceof String s) {
            out.addAll(List.of(s + " ", s + "x"));
        } else if (value instanceof Enum<?> e) {
            for (Object constant : e.getDeclaringClass().getEnumConstants()) {
                if (constant != e) {
                    out.add(constant);
                }
            }
        } else if (value instanceof URI uri) {
            out.add(URI.create(uri + "/v2"));
        } else if (value instanceof Duration d) {
            out.add(d.plusMillis(1));
        } else if (value instanceof Path p) {
            Path copy = Files.createTempFile(tmp, "changed", p.getFileName().toString());
            Files.delete(copy);
            if (Files.isDirectory(p)) {
                Files2.copyRecursively(p, copy);
                Files.writeString(copy.resolve("extra.txt"), "changed");
            } else {
                Files.copy(p, copy);
                Files.writeString(copy, "\n", java.nio.file.StandardOpenOption.APPEND);
            }
            out.add(copy);
        } else if (value instanceof List<?> list) {
            if (!list.isEmpty()) {
                out.add(new ArrayList<>(list.subList(0, list.size() - 1)));
                List<Object> reversed = new ArrayList<>(list);
                java.util.Collections.reverse(reversed);
                out.add(reversed);
            }
            List<Object> longer = new ArrayList<>(list);
            Object first = list.isEmpty() ? null : list.get(0);
            longer.add(first instanceof Long ? (Object) 7L : first instanceof Double ? (Object) 0.5 : "up_proj");
            out.add(longer);
        } else if (value instanceof Map<?, ?> map) {
            if (!map.isEmpty() && map.values().iterator().next() instanceof Double first) {
                Map<Object, Object> other = new TreeMap<>(map);
                other.put(map.keySet().iterator().next(), first + 0.1);
                out.add(other);
            }
            Map<Object, Object> bigger = new TreeMap<>(map);
            bigger.put("zz-extra", map.isEmpty() ? "x" : map.values().iterator().next());
            out.add(bigger);
        } else {
            fail("no alternative for a " + value.getClass());
        }
        return out;
    }

    private static Object read(Record record, RecordComponent component) throws ReflectiveOperationException {
        component.getAccessor().setAccessible(true);
        return component.getAccessor().invoke(record);
    }

    private static Record with(Record record, RecordComponent changed, Object value) throws ReflectiveOperationException {
        RecordComponent[] components = record.getClass().getRecordComponents();
        Object[] args = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            args[i] = components[i].getName().equals(changed.getName()) ? value : read(record, components[i]);
        }
        Constructor<? extends Record> constructor = record.getClass().getDeclaredConstructor(types);
        constructor.setAccessible(true);
        return constructor.newInstance(args);
    }
}
