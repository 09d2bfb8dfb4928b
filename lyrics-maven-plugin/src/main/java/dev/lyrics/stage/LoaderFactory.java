package dev.lyrics.stage;

import dev.lyrics.core.Log;
import dev.lyrics.eval.ModelLoader;

/**
 * Makes the loader an evaluation stage opens its models with, from the stage's settings: the
 * project's models on the settings' execution, or (in tests) fakes.
 *
 * @param <S> the stage's settings
 */
@FunctionalInterface
public interface LoaderFactory<S extends Record> {
    ModelLoader loader(S settings, Log log);
}
