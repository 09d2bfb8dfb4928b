package dev.lyrics.cache;

/** The work of a stage: writes its outputs into {@link StageContext#outputDir()}. */
@FunctionalInterface
public interface StageWork {
    void produce(StageContext context) throws Exception;
}
