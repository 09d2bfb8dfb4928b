package dev.lyrics.rnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.Log;
import dev.lyrics.core.Progress;
import dev.lyrics.model.Torch;
import dev.lyrics.train.AdamW;
import dev.lyrics.train.GradientClipping;
import dev.lyrics.train.LossLog;
import dev.lyrics.train.TrainingDivergedException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Trains one recurrent language model on the training songs and writes its stage outputs:
 * model.safetensors, config.json, vocab.json and loss.jsonl (train and validation loss per
 * epoch; validation on a slice of the training songs, never the test split).
 *
 * <p>Truncated back-propagation through time: {@link SongChunks} lays the songs out in
 * {@code batchSize} rows of {@code sequenceLength}-unit chunks; the state after a chunk is
 * detached and carried into the row's next chunk, and zeroed where a song starts.
 */
public final class RecurrentTrainer {
    /** The losses of the last epoch. */
    public record Result(double trainLoss, double validationLoss, int steps) {}

    /** &lt;pad&gt;, which preprocess's vocabularies give id 0; padding is masked out of the loss. */
    private static final int PAD_ID = 0;
    /**
     * AdamW's betas and epsilon: torch.optim.AdamW's defaults (and DJL's, which these models used
     * before); its weight decay shrinks every parameter, biases too, as torch.optim.AdamW over
     * model.parameters() does and as DJL's optimiser did.
     */
    private static final double ADAM_BETA1 = 0.9;
    private static final double ADAM_BETA2 = 0.999;
    private static final double ADAM_EPSILON = 1e-8;

    private final RecurrentConfig config;
    private final UnitCodec codec;
    private final int threads;
    private final Log log;
    private final String label;
    private final String divergenceAdvice;

    /**
     * @param threads PyTorch intra-op threads while training (the goal's lyrics.threads), 0 to keep
     *                the engine's count; small recurrent models gain little from more threads and
     *                lose much when the cores are shared
     */
    public RecurrentTrainer(RecurrentConfig config, UnitCodec codec, int threads, Log log) {
        this.config = config;
        this.codec = codec;
        this.threads = threads;
        this.log = log;
        this.label = "lyrics:finetune [" + config.name() + "]";
        this.divergenceAdvice = String.format(Locale.ROOT, "Lower <learningRate> (now %s) or <clipNorm> (now %s) of %s"
                        + " in the <recurrentModels> of experiment/pom.xml (lyrics.finetune.recurrent.learningRate,"
                        + " lyrics.finetune.recurrent.clipNorm)", config.learningRate(), config.clipNorm(), config.name());
    }

    /** Trains on the songs (each as in train_lyrics.txt) and writes the outputs into {@code outputDir}. */
    public Result train(List<String> songs, Path outputDir) throws IOException {
        List<int[]> encoded = new ArrayList<>();
        for (String song : songs) {
            encoded.add(codec.encode(song).ids());
        }
        List<int[]> validation = new ArrayList<>();
        List<int[]> training = new ArrayList<>();
        splitValidation(encoded, config.validationFraction(), training, validation);
        if (training.isEmpty() || validation.isEmpty()) {
            throw new ConfigException("recurrent model " + config.name() + ": " + songs.size()
                    + " training songs are too few to hold out a validation slice of " + config.validationFraction());
        }
        Random shuffle = new Random(config.seed());
        List<List<SongChunks.Step>> epochs = new ArrayList<>();
        long totalSteps = 0;
        for (int e = 0; e < config.epochs(); e++) {
            epochs.add(SongChunks.layout(training, config.batchSize(), config.sequenceLength(), PAD_ID, shuffle));
            totalSteps += epochs.get(e).size();
        }
        List<SongChunks.Step> validationSteps =
                SongChunks.layout(validation, config.batchSize(), config.sequenceLength(), PAD_ID, null);
        log.info(String.format(Locale.ROOT, "%s: %s %s, %d songs for training, %d held out for validation, "
                        + "vocabulary %d, %d steps", label, config.cell(), config.level(), training.size(),
                validation.size(), codec.size(), totalSteps));

        Torch.engine().setRandomSeed(config.seed());
        int previousThreads = JniUtils.getNumThreads();
        if (threads > 0) {
            JniUtils.setNumThreads(threads);
        }
        try (NDManager root = Torch.engine().newBaseManager();
             LossLog lossLog = new LossLog(outputDir.resolve(LossLog.FILE))) {
            RecurrentNet net = new RecurrentNet(config, codec.size());
            net.initialize(root, config.batchSize(), config.sequenceLength(), RecurrentNet.seeded(config));
            SortedMap<String, NDArray> parameters = new TreeMap<>();
            net.namedParameters().forEach((name, parameter) -> parameters.put(name, parameter.getArray()));
            // the forward pass reads each parameter's own array: no parameter server, no copies
            ParameterStore store = new ParameterStore(root, false);
            double validationLoss = evaluate(net, store, root, validationSteps);
            lossLog.write("validation", 0, 0, validationLoss, Map.of());
            Progress progress = new Progress(log, label, "steps", totalSteps);
            int step = 0;
            double trainLoss = Double.NaN;
            try (AdamW adamW = new AdamW(root, ADAM_BETA1, ADAM_BETA2, ADAM_EPSILON, config.weightDecay(),
                    AdamW.Decay.ALL)) {
                for (int e = 0; e < epochs.size(); e++) {
                    long start = System.nanoTime();
                    double nll = 0;
                    long units = 0;
                    try (NDManager carried = root.newSubManager()) {
                        NDList state = net.zeroState(carried, config.batchSize());
                        for (SongChunks.Step chunk : epochs.get(e)) {
                            step++;
                            nll += trainStep(net, store, parameters, adamW, root, carried, state, chunk, step, totalSteps);
                            units += chunk.units();
                            progress.update(step, String.format(Locale.ROOT, "epoch %d/%d, train loss %.4f",
                                    e + 1, epochs.size(), nll / units));
                        }
                    }
                    trainLoss = nll / units;
                    double seconds = (System.nanoTime() - start) / 1e9;
                    validationLoss = evaluate(net, store, root, validationSteps);
                    lossLog.write("train", e + 1, step, trainLoss,
                            Map.of("lr", config.learningRate(), "tokens_per_s", Math.round(units / seconds)));
                    lossLog.write("validation", e + 1, step, validationLoss, Map.of());
                    log.info(String.format(Locale.ROOT, "%s epoch %d/%d: train loss %.4f, validation loss %.4f (%.0f units/s)",
                            label, e + 1, epochs.size(), trainLoss, validationLoss, units / seconds));
                }
            }
            RecurrentLanguageModel.save(outputDir, config, codec, net);
            return new Result(trainLoss, validationLoss, step);
        } finally {
            JniUtils.setNumThreads(previousThreads);
        }
    }

    /** Every k-th song (evenly spread, independent of the seed) is held out, so models compare on the same slice. */
    static void splitValidation(List<int[]> songs, double fraction, List<int[]> training, List<int[]> validation) {
        int held = (int) Math.round(songs.size() * fraction);
        boolean[] isHeld = new boolean[songs.size()];
        for (int j = 0; j < held; j++) {
            isHeld[(int) ((j + 0.5) * songs.size() / held)] = true;
        }
        for (int i = 0; i < songs.size(); i++) {
            (isHeld[i] ? validation : training).add(songs.get(i));
        }
    }

    /**
     * One optimiser step on a chunk: backward, global-norm clipping, the shared divergence rule,
     * AdamW (which zeroes the gradients); replaces {@code state}'s arrays by the detached state
     * after it. Every array of the step lives in a sub-manager closed at the end, so memory stays flat.
     *
     * @param step the step's number, counted from 1
     * @return the summed negative log-likelihood of the chunk's targets
     */
    private double trainStep(RecurrentNet net, ParameterStore store, SortedMap<String, NDArray> parameters, AdamW adamW,
                             NDManager root, NDManager carried, NDList state, SongChunks.Step chunk, int step,
                             long totalSteps) {
        try (NDManager scope = root.newSubManager()) {
            Batch batch = batch(scope, chunk, state);
            NDArray nll;
            NDList outputs;
            try (GradientCollector collector = Torch.engine().newGradientCollector()) {
                outputs = net.forward(store, batch.inputs, true);
                nll = negativeLogLikelihood(outputs.get(0), batch.targets, batch.mask);
                // a scalar in libtorch's memory: autograd keeps the divisor for backward (see Torch.scalar)
                collector.backward(nll.div(Torch.scalar(nll, Math.max(chunk.units(), 1))));
            }
            double nllSum = nll.getFloat();
            double gradNorm = GradientClipping.clipGlobalNorm(parameters.values(), config.clipNorm());
            TrainingDivergedException.check(label, step, totalSteps, nllSum / Math.max(chunk.units(), 1), gradNorm,
                    divergenceAdvice);
            adamW.step(parameters, config.learningRate());
            carry(outputs, state, carried);
            return nllSum;
        }
    }

    /** Mean negative log-likelihood per unit over the steps, state carried as in training, no dropout. */
    private double evaluate(RecurrentNet net, ParameterStore store, NDManager root, List<SongChunks.Step> steps) {
        double nll = 0;
        long units = 0;
        try (NDManager carried = root.newSubManager()) {
            NDList state = net.zeroState(carried, config.batchSize());
            for (SongChunks.Step chunk : steps) {
                try (NDManager scope = root.newSubManager()) {
                    Batch batch = batch(scope, chunk, state);
                    NDList outputs = net.forward(store, batch.inputs, false);
                    nll += negativeLogLikelihood(outputs.get(0), batch.targets, batch.mask).getFloat();
                    units += chunk.units();
                    carry(outputs, state, carried);
                }
            }
        }
        return nll / units;
    }

    private record Batch(NDList inputs, NDArray targets, NDArray mask) {}

    private Batch batch(NDManager scope, SongChunks.Step chunk, NDList state) {
        Shape shape = new Shape(config.batchSize(), config.sequenceLength());
        NDArray keep = scope.create(chunk.keepState(), new Shape(1, config.batchSize(), 1));
        NDList inputs = new NDList(ids(scope, chunk.inputs(), shape));
        for (NDArray s : state) {
            inputs.add(keep.mul(s)); // (layers, B, H): zero where a song starts
        }
        return new Batch(inputs, ids(scope, chunk.targets(), shape), scope.create(chunk.mask(), shape));
    }

    static NDArray ids(NDManager manager, int[] ids, Shape shape) {
        long[] wide = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            wide[i] = ids[i];
        }
        return manager.create(wide, shape);
    }

    /** Sum over unmasked positions of -log softmax(logits)[target]; logits (B, T, V), targets and mask (B, T). */
    static NDArray negativeLogLikelihood(NDArray logits, NDArray targets, NDArray mask) {
        NDArray logProbs = logits.logSoftmax(-1).gather(targets.expandDims(-1), -1).squeeze(-1); // (B, T)
        return logProbs.mul(mask).sum().neg();
    }

    /** Detaches the new state from the graph and moves it into the manager that outlives the step. */
    private static void carry(NDList outputs, NDList state, NDManager carried) {
        for (int i = 0; i < state.size(); i++) {
            NDArray next = outputs.get(i + 1).stopGradient();
            next.attach(carried);
            state.get(i).close();
            state.set(i, next);
        }
    }
}
