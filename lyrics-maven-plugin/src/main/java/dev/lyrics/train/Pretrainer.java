package dev.lyrics.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.core.Log;
import dev.lyrics.core.Progress;
import dev.lyrics.model.HfCheckpoint;
import dev.lyrics.model.LlamaConfig;
import dev.lyrics.model.LlamaModel;
import dev.lyrics.model.SafetensorsFile;
import dev.lyrics.model.Torch;
import dev.lyrics.tokenizer.BpeTrainer;
import dev.lyrics.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.SplittableRandom;

/**
 * Pretrains a small Llama-architecture model from scratch on a plain-text corpus: trains the
 * byte-level BPE tokenizer on the training part, then next-token prediction on random windows of
 * the token stream with AdamW, warm-up plus decay, global-norm clipping, and periodic loss on the
 * held-out part. Writes a Hugging Face model directory (config.json, model.safetensors,
 * tokenizer.json) with loss.jsonl and a model card.
 *
 * <p>The corpus is one passage per line, documents (books) separated by blank lines. Held-out
 * text is every n-th block of {@value #BLOCK_LINES} lines, so it is spread over every document.
 */
public final class Pretrainer {
    static final int BLOCK_LINES = 50;

    /**
     * Everything that decides the trained model.
     *
     * @param validationFraction share of the corpus held out, in blocks
     * @param evalInterval       steps between validation losses (and one at the end)
     * @param storage            the dtype of model.safetensors
     */
    public record Settings(
            int vocabSize, int hiddenSize, int intermediateSize, int layers, int heads, int kvHeads,
            int contextLength, boolean tieWordEmbeddings,
            int batchSize, int steps, double learningRate, double minLrRatio, int warmupSteps,
            LrSchedule.Kind schedule, double weightDecay, double beta1, double beta2, double gradClip,
            long seed, double validationFraction, int evalInterval, SafetensorsFile.DType storage) {

        public Settings {
            ConfigException.require(vocabSize >= 3 + 256, "lyrics.pretrain.vocabSize", vocabSize, "must be at least 259 (3 special tokens and 256 bytes)");
            ConfigException.require(hiddenSize > 0 && heads > 0 && hiddenSize % heads == 0 && (hiddenSize / heads) % 2 == 0,
                    "lyrics.pretrain.heads", heads, "must divide hiddenSize " + hiddenSize + " into an even head size");
            ConfigException.require(kvHeads > 0 && heads % kvHeads == 0, "lyrics.pretrain.kvHeads", kvHeads, "must divide heads " + heads);
            ConfigException.require(layers >= 1, "lyrics.pretrain.layers", layers, "must be at least 1");
            ConfigException.require(intermediateSize >= 1, "lyrics.pretrain.intermediateSize", intermediateSize, "must be at least 1");
            ConfigException.require(contextLength >= 2, "lyrics.pretrain.contextLength", contextLength, "must be at least 2");
            ConfigException.require(batchSize >= 1, "lyrics.pretrain.batchSize", batchSize, "must be at least 1");
            ConfigException.require(steps >= 1, "lyrics.pretrain.steps", steps, "must be at least 1");
            ConfigException.require(learningRate > 0, "lyrics.pretrain.learningRate", learningRate, "must be positive");
            ConfigException.require(minLrRatio >= 0 && minLrRatio <= 1, "lyrics.pretrain.minLrRatio", minLrRatio, "must be in [0, 1]");
            ConfigException.require(warmupSteps >= 0, "lyrics.pretrain.warmupSteps", warmupSteps, "must not be negative");
            ConfigException.require(weightDecay >= 0, "lyrics.pretrain.weightDecay", weightDecay, "must not be negative");
            ConfigException.require(beta1 >= 0 && beta1 < 1, "lyrics.pretrain.beta1", beta1, "must be in [0, 1)");
            ConfigException.require(beta2 >= 0 && beta2 < 1, "lyrics.pretrain.beta2", beta2, "must be in [0, 1)");
            ConfigException.require(gradClip >= 0, "lyrics.pretrain.gradClip", gradClip, "must not be negative (0 turns clipping off)");
            ConfigException.require(validationFraction > 0 && validationFraction <= 0.5, "lyrics.pretrain.validationFraction",
                    validationFraction, "must be in (0, 0.5]");
            ConfigException.require(evalInterval >= 1, "lyrics.pretrain.evalInterval", evalInterval, "must be at least 1");
        }

        /** lyrics.pretrain.schedule: cosine, linear or constant. */
        public static LrSchedule.Kind schedule(String name) {
            return switch (name) {
                case "cosine" -> LrSchedule.Kind.COSINE;
                case "linear" -> LrSchedule.Kind.LINEAR;
                case "constant" -> LrSchedule.Kind.CONSTANT;
                default -> throw ConfigException.of("lyrics.pretrain.schedule", name, "must be cosine, linear or constant");
            };
        }

        /** lyrics.pretrain.storage: the dtype of model.safetensors. */
        public static SafetensorsFile.DType storage(String name) {
            return switch (name) {
                case "float16" -> SafetensorsFile.DType.F16;
                case "bfloat16" -> SafetensorsFile.DType.BF16;
                case "float32" -> SafetensorsFile.DType.F32;
                default -> throw ConfigException.of("lyrics.pretrain.storage", name, "must be float16, bfloat16 or float32");
            };
        }

        public LlamaConfig modelConfig() {
            return LlamaConfig.of(vocabSize, hiddenSize, intermediateSize, layers, heads, kvHeads, contextLength,
                    tieWordEmbeddings);
        }
    }

    /** Losses of a run: train loss per step, validation loss per evaluation (step -> loss). */
    public record Result(List<Double> trainLosses, Map<Integer, Double> validationLosses, long trainTokens,
                         long validationTokens, double seconds) {}

    private final Settings settings;
    private final Device device;
    private final DataType dtype;
    private final Log log;

    public Pretrainer(Settings settings, Device device, DataType dtype, Log log) {
        this.settings = settings;
        this.device = device;
        this.dtype = dtype;
        this.log = log;
    }

    /** Splits the corpus, trains tokenizer and model, and writes the model directory into outputDir. */
    public Result run(Path corpus, Path outputDir, String rebuildCommand) throws IOException {
        Torch.requireVisible(device, "lyrics.device");
        long start = System.nanoTime();
        Corpus text = Corpus.read(corpus, settings.validationFraction());
        log.info(String.format(Locale.ROOT, "lyrics:pretrain corpus %s: %d documents, %d train lines, %d held-out lines",
                corpus.getFileName(), text.documents(), text.trainLines(), text.validationLines()));

        BpeTrainer.Vocabulary vocabulary = new BpeTrainer(settings.vocabSize(), 2).train(text.trainTexts());
        BpeTrainer.write(vocabulary, outputDir, settings.contextLength());
        LlamaConfig config = settings.modelConfig();
        int[] trainTokens;
        int[] validationTokens;
        try (HfTokenizer tokenizer = HfTokenizer.load(outputDir)) {
            trainTokens = tokenize(tokenizer, text.train(), config.bosTokenId(), config.eosTokenId());
            validationTokens = tokenize(tokenizer, text.validation(), config.bosTokenId(), config.eosTokenId());
        }
        log.info(String.format(Locale.ROOT, "lyrics:pretrain tokenizer: %d tokens (%d merges); %d train tokens, %d held-out tokens",
                vocabulary.tokens().size(), vocabulary.merges().size(), trainTokens.length, validationTokens.length));
        if (trainTokens.length <= settings.contextLength() + 1 || validationTokens.length <= settings.contextLength() + 1) {
            throw InputException.at(corpus, "too little text for windows of " + settings.contextLength()
                    + " tokens in both the training and the held-out part");
        }

        Result result;
        try (LlamaModel model = LlamaModel.initialize(config, settings.seed(), device, dtype)) {
            log.info(String.format(Locale.ROOT, "lyrics:pretrain model: %,d parameters (%d layers, hidden %d, %d heads, "
                            + "%d key/value heads, ffn %d, vocab %d, context %d) on %s, %s",
                    config.parameterCount(), config.numHiddenLayers(), config.hiddenSize(), config.numAttentionHeads(),
                    config.numKeyValueHeads(), config.intermediateSize(), config.vocabSize(), config.maxPositionEmbeddings(),
                    describe(device), dtype));
            result = train(model, trainTokens, validationTokens, outputDir.resolve(LossLog.FILE), start);
            HfCheckpoint.save(outputDir, config, model.parameters(), settings.storage());
        }
        Json.write(outputDir.resolve("generation_config.json"), Map.of("bos_token_id", config.bosTokenId(),
                "eos_token_id", config.eosTokenId(), "pad_token_id", 0));
        Files.writeString(outputDir.resolve("README.md"), ModelCard.write(corpus, text, settings, config, result,
                device, rebuildCommand), StandardCharsets.UTF_8);
        return result;
    }

    private Result train(LlamaModel model, int[] trainTokens, int[] validationTokens, Path lossFile, long start)
            throws IOException {
        SortedMap<String, NDArray> parameters = model.parameters();
        parameters.values().forEach(p -> p.setRequiresGradient(true));
        int b = settings.batchSize();
        int t = settings.contextLength();
        int bos = model.config().bosTokenId();
        long[] inputs = new long[b * t];
        long[] targets = new long[b * t];
        float[] weights = new float[b * t];
        SplittableRandom random = new SplittableRandom(settings.seed());
        LrSchedule schedule = new LrSchedule(settings.schedule(), settings.learningRate(), settings.warmupSteps(),
                settings.steps(), settings.minLrRatio());
        Engine engine = Torch.engine();
        Progress progress = new Progress(log, "lyrics:pretrain", "steps", settings.steps());
        List<Double> losses = new ArrayList<>();
        Map<Integer, Double> validation = new LinkedHashMap<>();
        long trainStart = System.nanoTime();
        try (AdamW optimizer = new AdamW(model.manager(), settings.beta1(), settings.beta2(), 1e-8, settings.weightDecay());
             LossLog lossLog = new LossLog(lossFile)) {
            for (int step = 0; step < settings.steps(); step++) {
                long stepStart = System.nanoTime();
                for (int row = 0; row < b; row++) {
                    window(trainTokens, random.nextInt(trainTokens.length - t), row, t, bos, inputs, targets, weights);
                }
                double lr = schedule.at(step);
                double loss;
                double gradNorm;
                try (NDManager scope = model.manager().newSubManager()) {
                    NDArray ids = scope.create(inputs, new Shape(b, t));
                    NDArray next = scope.create(targets, new Shape(b, t));
                    NDArray weight = scope.create(weights, new Shape(b, t));
                    double weightSum = 0;
                    for (float w : weights) {
                        weightSum += w;
                    }
                    try (GradientCollector collector = engine.newGradientCollector()) {
                        LlamaModel.TokenLoss tokenLoss = model.tokenLoss(model.hiddenStates(ids, null, null), next, weight,
                                1 / weightSum);
                        collector.backward(tokenLoss.objective());
                        loss = tokenLoss.loss() / weightSum;
                    }
                    gradNorm = GradientClipping.clipGlobalNorm(parameters.values(), settings.gradClip());
                    TrainingDivergedException.check("lyrics:pretrain", step + 1, settings.steps(), loss, gradNorm,
                            "Lower -Dlyrics.pretrain.learningRate or raise -Dlyrics.pretrain.warmupSteps");
                    optimizer.step(parameters, lr);
                }
                losses.add(loss);
                double tokensPerSecond = (double) b * t / ((System.nanoTime() - stepStart) / 1e9);
                double epoch = (double) (step + 1) * b * t / trainTokens.length;
                lossLog.write("train", epoch, step + 1, loss, Map.of("lr", lr, "tokens_per_s", Math.round(tokensPerSecond),
                        "grad_norm", gradNorm));
                boolean last = step + 1 == settings.steps();
                if ((step + 1) % settings.evalInterval() == 0 || last) {
                    double validationLoss = evaluate(model, validationTokens);
                    validation.put(step + 1, validationLoss);
                    lossLog.write("validation", epoch, step + 1, validationLoss, Map.of());
                    log.info(String.format(Locale.ROOT, "lyrics:pretrain step %d: held-out loss %.4f (perplexity %.2f)",
                            step + 1, validationLoss, Math.exp(validationLoss)));
                }
                double elapsed = (System.nanoTime() - trainStart) / 1e9;
                progress.update(step + 1, String.format(Locale.ROOT, "loss %.4f, lr %.2e, %.0f tokens/s",
                        loss, lr, (double) (step + 1) * b * t / elapsed));
            }
        }
        return new Result(losses, validation, trainTokens.length, validationTokens.length,
                (System.nanoTime() - start) / 1e9);
    }

    /** "cpu" or "gpu 0", for logs and the model card. */
    public static String describe(Device device) {
        return device.isGpu() ? "gpu " + device.getDeviceId() : device.getDeviceType();
    }

    /** Mean next-token loss over the whole held-out stream, in consecutive windows of the context length. */
    double evaluate(LlamaModel model, int[] tokens) {
        int t = settings.contextLength();
        int bos = model.config().bosTokenId();
        int windows = (tokens.length - 1) / t;
        double sum = 0;
        double count = 0;
        for (int first = 0; first < windows; first += settings.batchSize()) {
            int rows = Math.min(settings.batchSize(), windows - first);
            long[] inputs = new long[rows * t];
            long[] targets = new long[rows * t];
            float[] weights = new float[rows * t];
            for (int row = 0; row < rows; row++) {
                window(tokens, (first + row) * t, row, t, bos, inputs, targets, weights);
            }
            try (NDManager scope = model.manager().newSubManager()) {
                NDArray weight = scope.create(weights, new Shape(rows, t));
                NDArray logProbs = model.logProbsOf(model.hiddenStates(scope.create(inputs, new Shape(rows, t)), null, null),
                        scope.create(targets, new Shape(rows, t)));
                sum -= logProbs.mul(weight).sum().getFloat();
                count += weight.sum().getFloat();
            }
        }
        return sum / count;
    }

    /**
     * Row {@code row} of a batch: inputs tokens[offset, offset + t), targets one further, weight 0
     * where the target is BOS (a block start is not predictable from the text before it).
     */
    private static void window(int[] tokens, int offset, int row, int t, int bos, long[] inputs, long[] targets,
                               float[] weights) {
        for (int i = 0; i < t; i++) {
            inputs[row * t + i] = tokens[offset + i];
            targets[row * t + i] = tokens[offset + i + 1];
            weights[row * t + i] = tokens[offset + i + 1] == bos ? 0 : 1;
        }
    }

    /**
     * The token stream of some documents: BOS before each block (so the model learns to start a text
     * from BOS, as it is scored and fine-tuned), EOS after each document.
     */
    private static int[] tokenize(HfTokenizer tokenizer, List<List<String>> documents, int bos, int eos) {
        List<long[]> parts = new ArrayList<>();
        int total = 0;
        for (List<String> document : documents) {
            for (String block : document) {
                long[] ids = tokenizer.encode(block).ids();
                parts.add(new long[] {bos});
                parts.add(ids);
                total += 1 + ids.length;
            }
            parts.add(new long[] {eos});
            total++;
        }
        int[] stream = new int[total];
        int n = 0;
        for (long[] part : parts) {
            for (long id : part) {
                stream[n++] = (int) id;
            }
        }
        return stream;
    }

    /**
     * The corpus split into training and held-out documents; each document is a list of blocks of
     * consecutive lines (each line ending in a newline), so blocks can be tokenized independently.
     */
    record Corpus(int documents, List<List<String>> train, List<List<String>> validation, int trainLines,
                  int validationLines) {
        static Corpus read(Path file, double validationFraction) throws IOException {
            if (!Files.isRegularFile(file)) {
                throw InputException.at(file, "corpus file not found");
            }
            List<List<String>> documents = new ArrayList<>();
            List<String> current = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    current.add(line);
                } else if (!current.isEmpty()) {
                    documents.add(current);
                    current = new ArrayList<>();
                }
            }
            if (!current.isEmpty()) {
                documents.add(current);
            }
            int period = (int) Math.round(1 / validationFraction);
            List<List<String>> train = new ArrayList<>();
            List<List<String>> validation = new ArrayList<>();
            int[] lineCounts = new int[2];
            int blockIndex = 0;
            for (List<String> document : documents) {
                List<String> trainBlocks = new ArrayList<>();
                List<String> validationBlocks = new ArrayList<>();
                for (int from = 0; from < document.size(); from += BLOCK_LINES) {
                    List<String> lines = document.subList(from, Math.min(document.size(), from + BLOCK_LINES));
                    boolean heldOut = blockIndex++ % period == period - 1;
                    (heldOut ? validationBlocks : trainBlocks).add(String.join("\n", lines) + "\n");
                    lineCounts[heldOut ? 1 : 0] += lines.size();
                }
                if (!trainBlocks.isEmpty()) {
                    train.add(trainBlocks);
                }
                if (!validationBlocks.isEmpty()) {
                    validation.add(validationBlocks);
                }
            }
            return new Corpus(documents.size(), train, validation, lineCounts[0], lineCounts[1]);
        }

        List<String> trainTexts() {
            return train.stream().flatMap(List::stream).toList();
        }
    }
}
