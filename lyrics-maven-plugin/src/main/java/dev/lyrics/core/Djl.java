package dev.lyrics.core;

/**
 * DJL's settings shared by the engine (model.Torch) and the tokenizers library (tokenizer.HfTokenizer),
 * which both load native code that DJL may otherwise try to download.
 */
public final class Djl {
    private Djl() {}

    /** DJL must not download anything unless the user allowed it: a missing library fails fast instead of hanging. */
    public static void offlineByDefault() {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }
}
