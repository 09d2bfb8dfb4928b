package dev.lyrics.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * How examples become optimiser steps, as Hugging Face's Trainer does it without packing: each
 * epoch visits the examples in a seeded random order; a step takes the next
 * {@code batchSize * accumulation} of them (the last step of an epoch takes what is left), in
 * micro-batches of {@code batchSize}, each right-padded to its own longest sequence.
 */
public final class MicroBatches {
    /**
     * One forward/backward pass: inputs[b] predicts labels[b] position by position.
     *
     * @param inputs     (B, T) token ids, right-padded with the pad id
     * @param labels     (B, T) the next token of each position
     * @param weights    (B, T) 1 where the label counts in the loss, 0 for padding and masked prompt
     * @param lossTokens how many weights are 1
     * @param tokens     how many input positions are not padding
     */
    public record MicroBatch(int[][] inputs, int[][] labels, float[][] weights, int lossTokens, int tokens) {}

    /** The micro-batches of one optimiser step, and their loss tokens together (the loss's divisor). */
    public record Step(List<MicroBatch> microBatches, int lossTokens, int tokens) {}

    private final List<TrainingExample> examples;
    private final int batchSize;
    private final int accumulation;
    private final int padId;
    private final long seed;

    public MicroBatches(List<TrainingExample> examples, int batchSize, int accumulation, int padId, long seed) {
        this.examples = List.copyOf(examples);
        this.batchSize = batchSize;
        this.accumulation = accumulation;
        this.padId = padId;
        this.seed = seed;
    }

    /** ceil(examples / (batch size x accumulation)). */
    public int stepsPerEpoch() {
        int perStep = batchSize * accumulation;
        return (examples.size() + perStep - 1) / perStep;
    }

    /** The order in which an epoch (counted from 0) visits the examples: the same for the same seed. */
    public List<Integer> order(int epoch) {
        List<Integer> order = new ArrayList<>(examples.size());
        for (int i = 0; i < examples.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(seed + epoch));
        return order;
    }

    /** Step {@code step} (from 0) of epoch {@code epoch} (from 0). */
    public Step step(int epoch, int step) {
        List<Integer> order = order(epoch);
        int perStep = batchSize * accumulation;
        int from = step * perStep;
        int to = Math.min(order.size(), from + perStep);
        if (step < 0 || from >= to) {
            throw new IllegalArgumentException("epoch " + epoch + " has no step " + step);
        }
        List<MicroBatch> microBatches = new ArrayList<>();
        int lossTokens = 0;
        int tokens = 0;
        for (int at = from; at < to; at += batchSize) {
            List<TrainingExample> batch = new ArrayList<>();
            for (int i = at; i < Math.min(to, at + batchSize); i++) {
                batch.add(examples.get(order.get(i)));
            }
            MicroBatch microBatch = collate(batch, padId);
            microBatches.add(microBatch);
            lossTokens += microBatch.lossTokens();
            tokens += microBatch.tokens();
        }
        return new Step(microBatches, lossTokens, tokens);
    }

    /** Shifts each example into (input, next token) pairs and pads to the longest. */
    public static MicroBatch collate(List<TrainingExample> batch, int padId) {
        int width = 1;
        for (TrainingExample example : batch) {
            width = Math.max(width, example.length() - 1);
        }
        int[][] inputs = new int[batch.size()][width];
        int[][] labels = new int[batch.size()][width];
        float[][] weights = new float[batch.size()][width];
        int lossTokens = 0;
        int tokens = 0;
        for (int b = 0; b < batch.size(); b++) {
            TrainingExample example = batch.get(b);
            Arrays.fill(inputs[b], padId);
            Arrays.fill(labels[b], padId);
            for (int t = 0; t < example.length() - 1; t++) {
                inputs[b][t] = example.ids()[t];
                labels[b][t] = example.ids()[t + 1];
                if (example.isTarget()[t + 1]) {
                    weights[b][t] = 1f;
                    lossTokens++;
                }
                tokens++;
            }
        }
        return new MicroBatch(inputs, labels, weights, lossTokens, tokens);
    }
}
