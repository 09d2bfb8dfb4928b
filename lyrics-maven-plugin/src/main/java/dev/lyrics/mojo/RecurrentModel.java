package dev.lyrics.mojo;

import dev.lyrics.rnn.RecurrentConfig;

/**
 * One &lt;recurrentModel&gt; of lyrics:finetune's &lt;recurrentModels&gt;, as Maven fills it from the
 * POM; an element left out keeps the default below.
 */
public class RecurrentModel {
    /** Stage (and output directory) name; rnn-&lt;cell&gt;-&lt;level&gt; when left out. */
    String name;
    /** rnn (tanh), lstm or gru. */
    String cell;
    /** char or word: which vocabulary (vocab_char.json, vocab_word.json) the model reads and predicts. */
    String level = "char";
    /** Size of the unit embeddings. */
    int embeddingSize = 64;
    /** Size of each recurrent layer's state. */
    int hiddenSize = 128;
    /** Number of stacked recurrent layers. */
    int layers = 1;
    /** Dropout on embeddings, between recurrent layers and before the head. */
    double dropout = 0.0;
    /** Units per truncated back-propagation-through-time chunk. */
    int sequenceLength = 64;
    /** Songs trained side by side (rows of a batch). */
    int batchSize = 16;
    /** Passes over the training songs. */
    int epochs = 3;
    /** AdamW learning rate (constant). */
    double learningRate = 0.003;
    /** AdamW decoupled weight decay. */
    double weightDecay = 0.01;
    /** Gradients are rescaled to at most this global L2 norm. */
    double clipNorm = 1.0;
    /** Seeds the initial weights, the song order and dropout. */
    int seed = 3407;
    /** Share of the training songs held out for the validation loss. */
    double validationFraction = 0.1;

    RecurrentConfig toConfig() {
        return new RecurrentConfig(name, cell, level, embeddingSize, hiddenSize, layers, dropout, sequenceLength,
                batchSize, epochs, learningRate, weightDecay, clipNorm, seed, validationFraction);
    }
}
