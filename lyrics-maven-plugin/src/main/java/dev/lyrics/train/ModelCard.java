package dev.lyrics.train;

import ai.djl.Device;
import dev.lyrics.model.LlamaConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** README.md of a pretrained model directory: what it is, what it was trained on, how well, how to rebuild it. */
final class ModelCard {
    private ModelCard() {}

    static String write(Path corpus, Pretrainer.Corpus text, Pretrainer.Settings s, LlamaConfig config,
                        Pretrainer.Result result, Device device, String rebuildCommand) {
        List<Double> losses = result.trainLosses();
        int tail = Math.max(1, losses.size() / 20);
        double finalTrain = losses.subList(losses.size() - tail, losses.size()).stream()
                .mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        double finalValidation = result.validationLosses().values().stream().reduce((a, b) -> b).orElse(Double.NaN);
        long tokensSeen = (long) s.steps() * s.batchSize() * s.contextLength();
        StringBuilder md = new StringBuilder();
        md.append("# A small Llama pretrained on `").append(corpus.getFileName()).append("`\n\n")
                .append("A small decoder with the architecture of Llama / Mistral (transformers' `LlamaForCausalLM`: "
                        + "RMSNorm, rotary embeddings, grouped-query attention, SwiGLU), pretrained from scratch by "
                        + "`lyrics:pretrain` of the lyrics-maven-plugin, with a byte-level BPE tokenizer trained on "
                        + "the same text. Files: `config.json`, `model.safetensors` (")
                .append(s.storage()).append("), `tokenizer.json`, `tokenizer_config.json`, `generation_config.json`, "
                        + "`loss.jsonl` (training and held-out loss per step).\n\n");

        md.append("## Data\n\n")
                .append("`").append(corpus.getFileName()).append("`: ").append(text.documents())
                .append(" documents, one passage per line. Held out: every ")
                .append(ordinal((int) Math.round(1 / s.validationFraction()))).append(" block of ")
                .append(Pretrainer.BLOCK_LINES).append(" lines (").append(text.validationLines())
                .append(" lines, spread over every document); trained on the other ").append(text.trainLines())
                .append(" lines. Each block starts with `<s>` (never a target of the loss) and each document ends with "
                        + "`</s>`, so a text is scored from `<s>` as it was seen in training. Tokens: ")
                .append(String.format(Locale.ROOT, "%,d", result.trainTokens())).append(" for training, ")
                .append(String.format(Locale.ROOT, "%,d", result.validationTokens())).append(" held out.\n\n");

        md.append("## Model\n\n| | |\n|---|---|\n");
        row(md, "parameters", String.format(Locale.ROOT, "%,d", config.parameterCount()));
        row(md, "layers", config.numHiddenLayers());
        row(md, "hidden size", config.hiddenSize());
        row(md, "attention heads / key-value heads", config.numAttentionHeads() + " / " + config.numKeyValueHeads());
        row(md, "head dim", config.headDim());
        row(md, "MLP (SwiGLU) size", config.intermediateSize());
        row(md, "vocabulary (byte-level BPE; `<pad>` 0, `<s>` 1, `</s>` 2)", config.vocabSize());
        row(md, "context", config.maxPositionEmbeddings());
        row(md, "tied embeddings", config.tieWordEmbeddings());
        row(md, "rope theta / RMSNorm eps", config.ropeTheta() + " / " + config.rmsNormEps());

        md.append("\n## Training\n\n| | |\n|---|---|\n");
        row(md, "steps x batch x context", s.steps() + " x " + s.batchSize() + " x " + s.contextLength()
                + String.format(Locale.ROOT, " = %,d tokens (%.2f epochs)", tokensSeen, (double) tokensSeen / result.trainTokens()));
        row(md, "optimiser", String.format(Locale.ROOT, "AdamW (betas %s, %s; weight decay %s on matrices), "
                + "global-norm clipping at %s", s.beta1(), s.beta2(), s.weightDecay(), s.gradClip()));
        row(md, "learning rate", String.format(Locale.ROOT, "%s peak, %d warm-up steps, %s decay to %s of the peak",
                s.learningRate(), s.warmupSteps(), s.schedule().name().toLowerCase(Locale.ROOT), s.minLrRatio()));
        row(md, "initialisation", "N(0, " + config.initializerRange() + ") matrices, norms of ones; seed " + s.seed());
        row(md, "device", Pretrainer.describe(device) + String.format(Locale.ROOT, ", %.1f min wall clock (tokenizer included), %.0f tokens/s",
                result.seconds() / 60, tokensSeen / result.seconds()));

        md.append("\n## Results\n\n")
                .append(String.format(Locale.ROOT, "Held-out loss after the last step: **%.4f** nats per token "
                        + "(perplexity %.2f). Training loss (mean of the last %d steps): %.4f.%n%n",
                        finalValidation, Math.exp(finalValidation), tail, finalTrain))
                .append("| step | held-out loss | perplexity |\n|---|---|---|\n");
        for (Map.Entry<Integer, Double> entry : result.validationLosses().entrySet()) {
            md.append(String.format(Locale.ROOT, "| %d | %.4f | %.2f |%n", entry.getKey(), entry.getValue(),
                    Math.exp(entry.getValue())));
        }

        md.append("\n## Rebuild\n\n```\n").append(rebuildCommand).append("\n```\n\n")
                .append("Training is seeded and deterministic for a given machine and thread count; "
                        + "floating-point results can differ between CPUs and libtorch builds.\n");
        return md.toString();
    }

    private static void row(StringBuilder md, String name, Object value) {
        md.append("| ").append(name).append(" | ").append(value).append(" |\n");
    }

    private static String ordinal(int n) {
        return n + (n % 100 >= 11 && n % 100 <= 13 ? "th" : switch (n % 10) {
            case 1 -> "st";
            case 2 -> "nd";
            case 3 -> "rd";
            default -> "th";
        });
    }
}
