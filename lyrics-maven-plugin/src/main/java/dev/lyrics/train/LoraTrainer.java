package dev.lyrics.train;

import dev.lyrics.cache.Unkeyed;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.Log;
import dev.lyrics.core.Progress;
import dev.lyrics.lora.LoraConfig;
import dev.lyrics.lora.LoraModel;
import dev.lyrics.model.LlamaModel;
import dev.lyrics.model.Torch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.function.Function;
import java.util.function.IntConsumer;

/**
 * Supervised fine-tuning of a LoRA model as transformers' Trainer runs it for the study: micro-batches
 * whose losses are summed over tokens and divided by the loss tokens of the whole accumulated step,
 * one AdamW update per step at the linear warm-up schedule's rate after global-norm clipping, and
 * every {@code checkpointSteps} a checkpoint from which a killed run resumes to the same result.
 */
public final class LoraTrainer {
    /**
     * The study's hyperparameters (Unsloth's SFT notebook defaults where the study did not say).
     *
     * @param maxGradNorm          global-norm clipping threshold, 0 for none
     * @param trainOnResponsesOnly mask the prompt out of the loss (the study trained on every token)
     * @param checkpointSteps      save a checkpoint every this many steps, 0 for never
     * @param gradientCheckpointing recompute each decoder layer's activations in the backward pass
     *                              instead of keeping them (see {@link GradientCheckpointing})
     */
    public record Settings(LoraConfig lora, double learningRate, double weightDecay, int warmupSteps, int epochs,
                           int batchSize, int gradientAccumulation, long seed, int maxSeqLength, double maxGradNorm,
                           boolean trainOnResponsesOnly,
                           @Unkeyed("checkpoints only let a killed run resume, and a resumed run equals an uninterrupted"
                                   + " one (LoraTrainerTest, IT finetune-damaged-checkpoint)") int checkpointSteps,
                           double adamBeta1, double adamBeta2,
                           double adamEpsilon, boolean gradientCheckpointing) {
        /** Fails on the first value that cannot be used, naming its parameter (prefix "lyrics.finetune."). */
        public Settings validate(String prefix) {
            lora.validate(prefix + "lora.");
            ConfigException.require(learningRate > 0 && Double.isFinite(learningRate), prefix + "learningRate",
                    learningRate, "must be positive");
            ConfigException.require(weightDecay >= 0 && Double.isFinite(weightDecay), prefix + "weightDecay",
                    weightDecay, "must not be negative");
            ConfigException.require(warmupSteps >= 0, prefix + "warmupSteps", warmupSteps, "must not be negative");
            ConfigException.require(epochs >= 1, prefix + "epochs", epochs, "must be at least 1");
            ConfigException.require(batchSize >= 1, prefix + "batchSize", batchSize, "must be at least 1");
            ConfigException.require(gradientAccumulation >= 1, prefix + "gradientAccumulation", gradientAccumulation,
                    "must be at least 1");
            ConfigException.require(maxSeqLength >= 2, prefix + "maxSeqLength", maxSeqLength,
                    "must be at least 2 (a token and the one it predicts)");
            ConfigException.require(maxGradNorm >= 0 && Double.isFinite(maxGradNorm), prefix + "maxGradNorm",
                    maxGradNorm, "must not be negative (0 turns clipping off)");
            ConfigException.require(checkpointSteps >= 0, prefix + "checkpointSteps", checkpointSteps,
                    "must not be negative (0 turns checkpoints off)");
            ConfigException.require(adamBeta1 >= 0 && adamBeta1 < 1, prefix + "adamBeta1", adamBeta1, "must be in [0, 1)");
            ConfigException.require(adamBeta2 >= 0 && adamBeta2 < 1, prefix + "adamBeta2", adamBeta2, "must be in [0, 1)");
            ConfigException.require(adamEpsilon > 0, prefix + "adamEpsilon", adamEpsilon, "must be positive");
            return this;
        }

        /** The same settings with another seed. */
        public Settings withSeed(long newSeed) {
            return new Settings(lora, learningRate, weightDecay, warmupSteps, epochs, batchSize, gradientAccumulation,
                    newSeed, maxSeqLength, maxGradNorm, trainOnResponsesOnly, checkpointSteps, adamBeta1, adamBeta2,
                    adamEpsilon, gradientCheckpointing);
        }

        /** The same settings with another micro-batch size and accumulation. */
        public Settings withBatch(int newBatchSize, int newGradientAccumulation) {
            return new Settings(lora, learningRate, weightDecay, warmupSteps, epochs, newBatchSize, newGradientAccumulation,
                    seed, maxSeqLength, maxGradNorm, trainOnResponsesOnly, checkpointSteps, adamBeta1, adamBeta2,
                    adamEpsilon, gradientCheckpointing);
        }

        public int examplesPerStep() {
            return batchSize * gradientAccumulation;
        }
    }

    /** One optimiser step as loss.jsonl records it (split "train"); epoch counts fractions as transformers does. */
    public record StepRecord(@JsonProperty("epoch") double epoch, @JsonProperty("step") int step,
                             @JsonProperty("loss") double loss, @JsonProperty("lr") double lr,
                             @JsonProperty("grad_norm") double gradNorm, @JsonProperty("tokens_per_s") double tokensPerSecond) {
        public void writeTo(LossLog log) throws IOException {
            log.write("train", epoch, step, loss, Map.of("lr", lr, "grad_norm", gradNorm, "tokens_per_s", tokensPerSecond));
        }
    }

    /**
     * @param steps          optimiser steps taken, in this run and the runs it resumed
     * @param lossLog        one loss.jsonl record per step
     * @param trainingTokens input tokens (padding excluded) read by the steps of this run
     * @param seconds        wall time of this run's steps
     * @param lossScaler     the loss scaler's final state (a float16 base), null for a float32 one
     */
    public record Result(int steps, List<StepRecord> lossLog, long trainingTokens, double seconds,
                         Map<String, Object> lossScaler) {
        public double tokensPerSecond() {
            return seconds > 0 ? trainingTokens / seconds : 0;
        }
    }

    private final LoraModel model;
    private final Settings settings;
    private final Log log;
    private final TrainerCheckpoint checkpoints;

    /** @param checkpointDir where checkpoints are kept (the stage's work directory, which outlives a killed run) */
    public LoraTrainer(LoraModel model, Settings settings, Path checkpointDir, Log log) {
        this.model = model;
        this.settings = settings;
        this.log = log;
        this.checkpoints = new TrainerCheckpoint(checkpointDir, log);
    }

    /** Trains on the examples, resuming from the latest checkpoint if there is one. */
    public Result train(List<TrainingExample> examples, int padId) throws IOException {
        return train(examples, padId, step -> {});
    }

    /**
     * @param afterStep called with the count of steps done after each step and its checkpoint (tests
     *                  interrupt a run from here)
     */
    public Result train(List<TrainingExample> examples, int padId, IntConsumer afterStep) throws IOException {
        LlamaModel base = model.base();
        MicroBatches batches = new MicroBatches(examples, settings.batchSize(), settings.gradientAccumulation(), padId,
                settings.seed());
        int stepsPerEpoch = batches.stepsPerEpoch();
        int totalSteps = stepsPerEpoch * settings.epochs();
        LrSchedule schedule = new LrSchedule(LrSchedule.Kind.LINEAR, settings.learningRate(), settings.warmupSteps(),
                totalSteps, 0);
        SortedMap<String, NDArray> parameters = model.parameters();
        List<StepRecord> lossLog = new ArrayList<>();
        long tokens = 0;
        double seconds = 0;
        try (AdamW optimizer = new AdamW(base.manager(), settings.adamBeta1(), settings.adamBeta2(),
                settings.adamEpsilon(), settings.weightDecay())) {
            TrainerCheckpoint.Restored restored = checkpoints.restoreLatest(parameters, optimizer, lossLog);
            int done = restored.step();
            // a float16 base needs its loss scaled so that small gradients survive the backward pass
            LossScaler scaler = base.dtype() != DataType.FLOAT16 ? null
                    : restored.lossScaler() == null ? new LossScaler() : LossScaler.restore(restored.lossScaler());
            log.info(String.format(Locale.ROOT, "lyrics:finetune %d examples, %d steps per epoch (ceil(%d / (%d x %d))), "
                            + "%d epochs, %d steps%s%s%s", examples.size(), stepsPerEpoch, examples.size(), settings.batchSize(),
                    settings.gradientAccumulation(), settings.epochs(), totalSteps,
                    settings.gradientCheckpointing() ? ", gradient checkpointing" : "",
                    scaler == null ? "" : String.format(Locale.ROOT, ", dynamic loss scaling from %.0f", scaler.scale()),
                    done > 0 ? ", resuming after step " + done + " from " + checkpoints.dir() : ""));
            Progress progress = new Progress(log, "lyrics:finetune", "steps", totalSteps);
            String divergenceAdvice = String.format(Locale.ROOT, "Lower lyrics.finetune.learningRate (now %s) or"
                    + " lyrics.finetune.lora.alpha, or set lyrics.finetune.maxGradNorm", settings.learningRate());
            model.setTraining(true);
            for (int step = done; step < totalSteps; step++) {
                long start = System.nanoTime();
                MicroBatches.Step batch = batches.step(step / stepsPerEpoch, step % stepsPerEpoch);
                // dropout masks depend on the step alone, so a resumed run draws the same ones
                Torch.engine().setRandomSeed((int) (settings.seed() + step));
                double loss = accumulate(base, batch, settings.gradientCheckpointing(),
                        scaler == null ? 1 : scaler.scale(), settings.seed() + step) / batch.lossTokens();
                if (scaler != null) {
                    scaler.unscale(parameters.values());
                }
                // a skipped step leaves the schedule where it was, as accelerate's scheduler does
                double lr = schedule.at(optimizer.steps());
                double gradNorm = GradientClipping.clipGlobalNorm(parameters.values(), settings.maxGradNorm());
                if (scaler != null && !scaler.update(step + 1, gradNorm, parameters.values())) {
                    log.warn(String.format(Locale.ROOT, "lyrics:finetune step %d skipped: a float16 gradient overflowed"
                            + " (norm %s); loss scale lowered to %.0f", step + 1, gradNorm, scaler.scale()));
                } else {
                    TrainingDivergedException.check("lyrics:finetune", step + 1, totalSteps, loss, gradNorm,
                            divergenceAdvice);
                    // also zeroes the gradients for the next step's accumulation
                    optimizer.step(parameters, lr);
                }
                double stepSeconds = (System.nanoTime() - start) / 1e9;
                tokens += batch.tokens();
                seconds += stepSeconds;
                lossLog.add(new StepRecord((double) (step + 1) / stepsPerEpoch, step + 1, loss, lr,
                        Double.isFinite(gradNorm) ? gradNorm : -1, Math.round(batch.tokens() / stepSeconds * 10) / 10.0));
                progress.update(step + 1, String.format(Locale.ROOT, "loss %.4f, lr %.2e, %.0f tokens/s",
                        loss, lr, batch.tokens() / stepSeconds));
                if (settings.checkpointSteps() > 0 && (step + 1) % settings.checkpointSteps() == 0 && step + 1 < totalSteps) {
                    checkpoints.save(step + 1, parameters, optimizer, lossLog, scaler == null ? null : scaler.state());
                }
                afterStep.accept(step + 1);
            }
            model.setTraining(false);
            return new Result(totalSteps, lossLog, tokens, seconds, scaler == null ? null : scaler.state());
        }
    }

    /**
     * Forward and backward over the step's micro-batches; gradients add up in the parameters.
     *
     * @param checkpointing recompute activations layer by layer in the backward pass
     * @param lossScale     what the loss is multiplied by before the backward pass (1: not at all)
     * @param dropoutSeed   where a checkpointed pass draws its dropout masks from
     * @return the summed negative log-likelihood of the step's loss tokens (unscaled)
     */
    static double accumulate(LlamaModel base, MicroBatches.Step batch, boolean checkpointing, double lossScale,
                             long dropoutSeed) {
        double nllSum = 0;
        List<MicroBatches.MicroBatch> microBatches = batch.microBatches();
        for (int m = 0; m < microBatches.size(); m++) {
            MicroBatches.MicroBatch micro = microBatches.get(m);
            try (NDManager scope = base.manager().newSubManager()) {
                NDArray inputs = scope.create(toLong(micro.inputs()));
                NDArray labels = scope.create(toLong(micro.labels()));
                NDArray weights = scope.create(micro.weights());
                double[] nll = new double[1];
                Function<NDArray, NDArray> objective = hidden -> {
                    // divided by the loss tokens of the whole step, so accumulated gradients are those of one big batch
                    LlamaModel.TokenLoss loss = base.tokenLoss(hidden, labels, weights, lossScale / batch.lossTokens());
                    nll[0] = loss.loss();
                    return loss.objective();
                };
                if (checkpointing) {
                    GradientCheckpointing.backward(base, inputs, objective, dropoutSeed * microBatches.size() + m);
                } else {
                    try (GradientCollector collector = Torch.engine().newGradientCollector()) {
                        collector.backward(objective.apply(base.hiddenStates(inputs, null, null)));
                    }
                }
                nllSum += nll[0];
            }
        }
        return nllSum;
    }

    private static long[][] toLong(int[][] values) {
        long[][] out = new long[values.length][];
        for (int i = 0; i < values.length; i++) {
            out[i] = Arrays.stream(values[i]).asLongStream().toArray();
        }
        return out;
    }

}
