package dev.lyrics.cache;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A settings component that cannot change a stage's outputs, so it stays out of the cache key:
 * how politely pages are fetched, where a page store lives, a secret. Every other component is
 * keyed. The reason is required, and {@code SettingsKeyCompletenessTest} lists every use.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Unkeyed {
    /** Why the component cannot change an output. */
    String value();
}
