package dev.lyrics.rnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.lm.Decoder;
import dev.lyrics.lm.LanguageModel;
import dev.lyrics.lm.ScoredText;
import dev.lyrics.model.SafetensorsFile;
import dev.lyrics.model.SafetensorsWriter;
import dev.lyrics.model.Torch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A trained recurrent model, read from its stage directory (model.safetensors, config.json,
 * vocab.json), for perplexity and sampling.
 *
 * <p>&lt;|song_start|&gt; plays the part of a transformer's BOS: it resets the state and is read,
 * never scored. A text that does not begin with it is read as if it did. So the score of two
 * songs one after the other is the sum of their scores alone, as in training.
 */
public final class RecurrentLanguageModel implements LanguageModel {
    static final String WEIGHTS = "model.safetensors";
    static final String CONFIG = "config.json";
    static final String VOCAB = "vocab.json";

    private final RecurrentConfig config;
    private final UnitCodec codec;
    private final NDManager manager;
    private final RecurrentNet net;
    private final ParameterStore store;

    private RecurrentLanguageModel(RecurrentConfig config, UnitCodec codec, NDManager manager, RecurrentNet net) {
        this.config = config;
        this.codec = codec;
        this.manager = manager;
        this.net = net;
        this.store = new ParameterStore(manager, false);
    }

    /** Writes a trained network as a stage directory that {@link #load} reads. */
    static void save(Path dir, RecurrentConfig config, UnitCodec codec, RecurrentNet net) throws IOException {
        SortedMap<String, NDArray> tensors = new TreeMap<>();
        long parameters = 0;
        for (Map.Entry<String, Parameter> e : net.namedParameters().entrySet()) {
            tensors.put(e.getKey(), e.getValue().getArray());
            parameters += e.getValue().getArray().size();
        }
        SafetensorsWriter.write(dir.resolve(WEIGHTS), tensors, SafetensorsFile.DType.F32, Map.of("format", "pt"));
        Map<String, Object> configJson = new TreeMap<>(Json.MAPPER.convertValue(config, new TypeReference<Map<String, Object>>() {}));
        configJson.put("vocab_size", codec.size());
        configJson.put("parameters", parameters);
        Json.write(dir.resolve(CONFIG), configJson);
        Json.write(dir.resolve(VOCAB), codec.vocabulary().ids());
    }

    /** Loads the model a recurrent finetune stage published in {@code dir}. */
    public static RecurrentLanguageModel load(Path dir) throws IOException {
        for (String file : new String[] {WEIGHTS, CONFIG, VOCAB}) {
            if (!Files.isRegularFile(dir.resolve(file))) {
                throw InputException.at(dir.resolve(file), "missing: not a recurrent model directory (run lyrics:finetune)");
            }
        }
        RecurrentConfig config = Json.MAPPER.readValue(dir.resolve(CONFIG).toFile(), RecurrentConfig.class);
        UnitCodec codec = UnitCodec.read(config.level(), dir.resolve(VOCAB), null);
        NDManager manager = Torch.engine().newBaseManager();
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve(WEIGHTS))) {
            RecurrentNet net = new RecurrentNet(config, codec.size());
            // each weight is copied into libtorch's own (aligned) memory, as training created it
            net.initialize(manager, 1, 1, name -> (m, shape, dataType) -> {
                SafetensorsFile.TensorInfo tensor = weights.tensors().get(name);
                if (tensor == null || !Arrays.equals(tensor.shape(), shape.getShape())) {
                    throw InputException.at(weights.file(), name + " is missing or not of shape " + shape);
                }
                try {
                    return weights.load(name, m, DataType.FLOAT32);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            return new RecurrentLanguageModel(config, codec, manager, net);
        } catch (UncheckedIOException e) {
            manager.close();
            throw e.getCause();
        } catch (RuntimeException | IOException e) {
            manager.close();
            throw e;
        }
    }

    public RecurrentConfig config() {
        return config;
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public String unit() {
        return config.level();
    }

    @Override
    public ScoredText score(String text) {
        UnitCodec.Encoded encoded = codec.encode(text);
        int[] ids = encoded.ids();
        double[] logProbs = new double[ids.length];
        int[] ends = new int[ids.length];
        int scored = 0;
        // each run from one <|song_start|> (read, not scored) to the next starts from a zero state
        int from = ids.length > 0 && ids[0] == codec.songStartId() ? 1 : 0;
        while (from <= ids.length) {
            int to = from;
            while (to < ids.length && ids[to] != codec.songStartId()) {
                to++;
            }
            if (to > from) {
                int[] inputs = new int[to - from];
                inputs[0] = codec.songStartId();
                System.arraycopy(ids, from, inputs, 1, to - from - 1);
                float[] runLogProbs = logProbs(inputs, Arrays.copyOfRange(ids, from, to));
                for (int i = 0; i < runLogProbs.length; i++) {
                    logProbs[scored] = runLogProbs[i];
                    ends[scored++] = encoded.ends()[from + i];
                }
            }
            from = to + 1;
        }
        return new ScoredText(Arrays.copyOf(logProbs, scored), Arrays.copyOf(ends, scored));
    }

    /** log p(targets[t] | inputs[0..t]) from a zero state. */
    private float[] logProbs(int[] inputs, int[] targets) {
        try (NDManager scope = manager.newSubManager()) {
            Shape shape = new Shape(1, inputs.length);
            NDList in = new NDList(RecurrentTrainer.ids(scope, inputs, shape));
            in.addAll(net.zeroState(scope, 1));
            NDArray logits = net.forward(store, in, false).get(0); // (1, T, V)
            NDArray target = RecurrentTrainer.ids(scope, targets, shape);
            return logits.logSoftmax(-1).gather(target.expandDims(-1), -1).toFloatArray();
        }
    }

    @Override
    public Decoder decoder(String prompt) {
        int[] ids = codec.encode(prompt).ids();
        if (ids.length == 0 || ids[0] != codec.songStartId()) {
            int[] withStart = new int[ids.length + 1];
            withStart[0] = codec.songStartId();
            System.arraycopy(ids, 0, withStart, 1, ids.length);
            ids = withStart;
        }
        return new RecurrentDecoder(ids);
    }

    /** Holds the state after the units read so far and the logits for the next one. */
    private final class RecurrentDecoder implements Decoder {
        private final NDManager decoderManager = manager.newSubManager();
        private final int[] prompt;
        private final int promptLastId;
        private NDList state;
        private float[] logits;

        RecurrentDecoder(int[] prompt) {
            this.prompt = prompt;
            promptLastId = prompt[prompt.length - 1];
            state = net.zeroState(decoderManager, 1);
            int from = 0;
            for (int i = 1; i < prompt.length; i++) {
                if (prompt[i] == codec.songStartId()) {
                    read(Arrays.copyOfRange(prompt, from, i));
                    from = i;
                }
            }
            read(Arrays.copyOfRange(prompt, from, prompt.length));
        }

        private void read(int[] ids) {
            if (ids[0] == codec.songStartId()) {
                state.close();
                state = net.zeroState(decoderManager, 1);
            }
            try (NDManager scope = decoderManager.newSubManager()) {
                NDList in = new NDList(RecurrentTrainer.ids(scope, ids, new Shape(1, ids.length)));
                in.addAll(state);
                NDList out = net.forward(store, in, false);
                logits = out.get(0).get(0, ids.length - 1).toFloatArray();
                NDList next = out.subNDList(1);
                next.attach(decoderManager);
                state.close();
                state = next;
            }
        }

        @Override
        public int[] promptUnitIds() {
            return prompt.clone();
        }

        @Override
        public float[] nextLogits() {
            return logits.clone();
        }

        @Override
        public void accept(int unitId) {
            read(new int[] {unitId});
        }

        @Override
        public int endId() {
            return codec.songEndId();
        }

        @Override
        public String decode(int[] unitIds) {
            return codec.decode(promptLastId, unitIds);
        }

        @Override
        public void close() {
            decoderManager.close();
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
