package dev.lyrics.generate;

/**
 * What one sampling run produced.
 *
 * @param unitIds     the sampled units, without the end unit
 * @param text        their text
 * @param endReached  true when the model chose its end unit, false when max_new_tokens cut it off
 */
public record GeneratedText(int[] unitIds, String text, boolean endReached) {}
