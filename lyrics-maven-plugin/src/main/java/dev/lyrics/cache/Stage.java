package dev.lyrics.cache;

/**
 * One step of the experiment in the Maven-free core: a typed settings record that validates itself
 * (its components are the stage's cache key, see {@link SettingsKey}) and the work that writes the
 * outputs. The stage's class is also the root of its code fingerprint: only the code it can reach
 * invalidates its cache entries.
 *
 * @param <S> the settings record
 */
public interface Stage<S extends Record> {
    /** The goal that runs the stage, as in "lyrics:&lt;goal&gt;". */
    String goal();

    /** Writes the stage's outputs into {@link StageContext#outputDir()}. */
    void run(S settings, StageContext context) throws Exception;
}
