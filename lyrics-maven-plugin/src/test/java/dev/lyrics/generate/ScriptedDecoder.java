package dev.lyrics.generate;

import dev.lyrics.lm.Decoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Returns given logits step by step (the last one repeats) and records what it is told to accept. */
final class ScriptedDecoder implements Decoder {
    private final int[] prompt;
    private final float[][] steps;
    private final int endId;
    final List<Integer> accepted = new ArrayList<>();

    ScriptedDecoder(int[] prompt, int endId, float[]... steps) {
        this.prompt = prompt;
        this.endId = endId;
        this.steps = steps;
    }

    @Override
    public int[] promptUnitIds() {
        return prompt.clone();
    }

    @Override
    public float[] nextLogits() {
        return steps[Math.min(accepted.size(), steps.length - 1)].clone();
    }

    @Override
    public void accept(int unitId) {
        accepted.add(unitId);
    }

    @Override
    public int endId() {
        return endId;
    }

    @Override
    public String decode(int[] unitIds) {
        return Arrays.toString(unitIds);
    }

    @Override
    public void close() {}
}
