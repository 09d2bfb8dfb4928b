package dev.lyrics.train;

import dev.lyrics.dataset.AlpacaRecord;
import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.tokenizer.HfTokenizer;
import java.util.Arrays;
import java.util.function.Function;

/**
 * One fine-tuning sequence: BOS, the tokens of prompt and response, EOS, and for each position whether predicting its token counts in the loss.
 *
 * @param ids      token ids, BOS first
 * @param isTarget isTarget[i]: the prediction of ids[i] from ids[0..i-1] is part of the loss
 *                 (never for position 0, which nothing predicts)
 */
public record TrainingExample(int[] ids, boolean[] isTarget) {
    public TrainingExample {
        if (ids.length != isTarget.length) {
            throw new IllegalArgumentException("ids and isTarget differ in length");
        }
    }

    /**
     * @param encoder       text to tokens without special tokens, with each token's char end
     * @param responsesOnly when true the prompt's tokens are not targets (a token that straddles the
     *                      prompt's end belongs to the response); EOS is always a target
     */
    public static TrainingExample of(AlpacaRecord record, PromptTemplate template, Function<String, HfTokenizer.Encoded> encoder,
            int bos, int eos, boolean responsesOnly) {
        PromptTemplate.Rendered rendered = template.render(record);
        HfTokenizer.Encoded encoded = encoder.apply(rendered.text());
        int n = encoded.ids().length + 2;
        int[] ids = new int[n];
        boolean[] isTarget = new boolean[n];
        ids[0] = bos;
        for (int i = 0; i < encoded.ids().length; i++) {
            ids[i + 1] = Math.toIntExact(encoded.ids()[i]);
            isTarget[i + 1] = !responsesOnly || encoded.charEnds()[i] > rendered.responseStart();
        }
        ids[n - 1] = eos;
        isTarget[n - 1] = true;
        return new TrainingExample(ids, isTarget);
    }

    /** The first maxLength tokens (no packing, no sliding: the rest of a long example is not trained on). */
    public TrainingExample truncated(int maxLength) {
        return ids.length <= maxLength ? this
                : new TrainingExample(Arrays.copyOf(ids, maxLength), Arrays.copyOf(isTarget, maxLength));
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
