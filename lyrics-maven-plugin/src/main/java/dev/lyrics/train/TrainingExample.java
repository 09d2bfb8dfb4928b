package dev.lyrics.train;

import dev.lyrics.dataset.AlpacaRecord;
import dev.lyrics.dataset.PromptTemplate;
import java.util.Arrays;

/**
 * One fine-tuning sequence: BOS, the tokens of prompt and response, EOS, cut to the maximum
 * length, and for each position whether predicting its token counts in the loss.
 *
 * @param ids      token ids, BOS first
 * @param isTarget isTarget[i]: the prediction of ids[i] from ids[0..i-1] is part of the loss
 *                 (never for position 0, which nothing predicts)
 */
public record TrainingExample(int[] ids, boolean[] isTarget) {
    /** Encodes text without special tokens; {@code charEnds[i]} is the char index just after token i. */
    @FunctionalInterface
    public interface Encoder {
        Encoded encode(String text);
    }

    public record Encoded(int[] ids, int[] charEnds) {}

    public TrainingExample {
        if (ids.length != isTarget.length) {
            throw new IllegalArgumentException("ids and isTarget differ in length");
        }
    }

    /**
     * @param responsesOnly when true the prompt's tokens are not targets (a token that straddles the
     *                      prompt's end belongs to the response); EOS is always a target
     */
    public static TrainingExample of(AlpacaRecord record, PromptTemplate template, Encoder encoder,
            int bos, int eos, int maxSeqLength, boolean responsesOnly) {
        PromptTemplate.Rendered rendered = template.render(record);
        Encoded encoded = encoder.encode(rendered.text());
        int n = encoded.ids().length + 2;
        int[] ids = new int[n];
        boolean[] isTarget = new boolean[n];
        ids[0] = bos;
        for (int i = 0; i < encoded.ids().length; i++) {
            ids[i + 1] = encoded.ids()[i];
            isTarget[i + 1] = !responsesOnly || encoded.charEnds()[i] > rendered.responseStart();
        }
        ids[n - 1] = eos;
        isTarget[n - 1] = true;
        int length = Math.min(n, maxSeqLength);
        return new TrainingExample(Arrays.copyOf(ids, length), Arrays.copyOf(isTarget, length));
    }

    public int length() {
        return ids.length;
    }

    public int targetCount() {
        int count = 0;
        for (boolean target : isTarget) {
            count += target ? 1 : 0;
        }
        return count;
    }
}
