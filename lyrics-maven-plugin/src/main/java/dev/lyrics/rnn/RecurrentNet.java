package dev.lyrics.rnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.recurrent.GRU;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.nn.recurrent.RNN;
import ai.djl.nn.recurrent.RecurrentBlock;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import dev.lyrics.model.Torch;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.DoubleSupplier;

/**
 * The recurrent language model: embedding, then a stack of RNN/LSTM/GRU layers (DJL's
 * ai.djl.nn.recurrent blocks, batch first), then a linear head over the vocabulary. Dropout
 * (when configured) acts on the embeddings, between recurrent layers and before the head.
 *
 * <p>Inputs: unit ids (B, T) as int64, then the recurrent state (h for rnn and gru; h and c for
 * lstm), each (layers, B, hidden). Outputs: logits (B, T, vocab), then the state after the last
 * step, so a caller can carry it into the next chunk.
 */
final class RecurrentNet extends AbstractBlock {
    private final RecurrentConfig config;
    private final int vocabSize;
    private final Parameter embedding;
    private final RecurrentBlock recurrent;
    private final Linear head;

    RecurrentNet(RecurrentConfig config, int vocabSize) {
        this.config = config;
        this.vocabSize = vocabSize;
        embedding = addParameter(Parameter.builder()
                .setName("embedding")
                .setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(vocabSize, config.embeddingSize()))
                .build());
        recurrent = addChildBlock("rnn", switch (config.cell()) {
            case "rnn" -> RNN.builder().setActivation(RNN.Activation.TANH)
                    .setStateSize(config.hiddenSize()).setNumLayers(config.layers())
                    .optDropRate((float) config.dropout()).optBatchFirst(true).optReturnState(true).build();
            case "lstm" -> LSTM.builder()
                    .setStateSize(config.hiddenSize()).setNumLayers(config.layers())
                    .optDropRate((float) config.dropout()).optBatchFirst(true).optReturnState(true).build();
            case "gru" -> GRU.builder()
                    .setStateSize(config.hiddenSize()).setNumLayers(config.layers())
                    .optDropRate((float) config.dropout()).optBatchFirst(true).optReturnState(true).build();
            default -> throw new IllegalArgumentException("unknown cell " + config.cell());
        });
        head = addChildBlock("head", Linear.builder().setUnits(vocabSize).build());
    }

    /** How many arrays make up the recurrent state. */
    int stateArrays() {
        return config.cell().equals("lstm") ? 2 : 1;
    }

    /** A zero state for {@code batch} parallel sequences. */
    NDList zeroState(NDManager manager, int batch) {
        NDList state = new NDList();
        for (int i = 0; i < stateArrays(); i++) {
            state.add(manager.zeros(new Shape(config.layers(), batch, config.hiddenSize())));
        }
        return state;
    }

    /** Builds the parameters for (batch, time) inputs, each filled by the initializer for its checkpoint name. */
    void initialize(NDManager manager, int batch, int time, Function<String, Initializer> initializers) {
        namedParameters().forEach((name, parameter) -> parameter.setInitializer(initializers.apply(name)));
        Shape[] shapes = new Shape[1 + stateArrays()];
        shapes[0] = new Shape(batch, time);
        for (int i = 1; i < shapes.length; i++) {
            shapes[i] = new Shape(config.layers(), batch, config.hiddenSize());
        }
        initialize(manager, DataType.FLOAT32, shapes);
    }

    /**
     * PyTorch's default initialisation, drawn from our own seeded generator so the starting
     * weights depend on the seed only: embedding N(0, 1), everything else U(-1/sqrt(hidden), 1/sqrt(hidden)).
     * Each weight lives in libtorch's aligned memory ({@link Torch#owned}), so training does not
     * depend on where the JVM's allocator happened to put a buffer.
     */
    static Function<String, Initializer> seeded(RecurrentConfig config) {
        Random random = new Random(config.seed());
        double bound = 1 / Math.sqrt(config.hiddenSize());
        return name -> name.equals("embedding.weight")
                ? filled(random::nextGaussian)
                : filled(() -> (2 * random.nextDouble() - 1) * bound);
    }

    private static Initializer filled(DoubleSupplier draw) {
        return (manager, shape, dataType) -> {
            float[] values = new float[Math.toIntExact(shape.size())];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) draw.getAsDouble();
            }
            return Torch.owned(manager, values, shape);
        };
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape ids = inputShapes[0];
        recurrent.initialize(manager, dataType, new Shape(new long[] {ids.get(0), ids.get(1), config.embeddingSize()}, "NTC"));
        head.initialize(manager, dataType, new Shape(ids.get(0), ids.get(1), config.hiddenSize()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape[] out = inputShapes.clone();
        out[0] = new Shape(inputShapes[0].get(0), inputShapes[0].get(1), vocabSize);
        return out;
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.get(0);
        NDArray weights = store.getValue(embedding, ids.getDevice(), training);
        NDArray x = Embedding.embedding(ids, weights, SparseFormat.DENSE).singletonOrThrow(); // (B, T, E)
        x = dropout(x, training);
        NDList recurrentInputs = new NDList(x);
        recurrentInputs.addAll(inputs.subNDList(1));
        NDList recurrentOutputs = recurrent.forward(store, recurrentInputs, training); // (B, T, H), state...
        NDArray hidden = dropout(recurrentOutputs.get(0), training);
        NDList outputs = new NDList(head.forward(store, new NDList(hidden), training).singletonOrThrow()); // (B, T, V)
        outputs.addAll(recurrentOutputs.subNDList(1));
        return outputs;
    }

    private NDArray dropout(NDArray x, boolean training) {
        if (!training || config.dropout() == 0) {
            return x;
        }
        return Dropout.dropout(x, (float) config.dropout(), true).singletonOrThrow();
    }

    /**
     * The parameters under PyTorch's names for the same model (nn.Embedding, nn.LSTM, nn.Linear),
     * which are the tensor names of model.safetensors.
     */
    SortedMap<String, Parameter> namedParameters() {
        SortedMap<String, Parameter> named = new TreeMap<>();
        named.put("embedding.weight", embedding);
        for (var entry : recurrent.getDirectParameters()) {
            named.put("rnn." + torchName(entry.getKey()), entry.getValue());
        }
        for (var entry : head.getDirectParameters()) {
            named.put("head." + entry.getKey(), entry.getValue());
        }
        return named;
    }

    /** "l_0_i2h_WEIGHT" (DJL) to "weight_ih_l0" (PyTorch). */
    private static String torchName(String djlName) {
        String[] parts = djlName.split("_");
        String kind = Map.of("i2h", "ih", "h2h", "hh").get(parts[2]);
        return parts[3].toLowerCase(Locale.ROOT) + "_" + kind + "_l" + parts[1];
    }
}
