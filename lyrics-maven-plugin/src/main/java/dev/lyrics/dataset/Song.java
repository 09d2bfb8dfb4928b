package dev.lyrics.dataset;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One record of songs.jsonl, whatever the source: the embedded corpus writes {@code source}
 * ("kjv:Psalms 23"), the Genius source writes the song page URL and the Genius song id.
 *
 * @param artist the primary artist
 * @param title  the song title ("Psalm 23")
 * @param source where the lyrics came from: a URL or a corpus reference
 * @param songId the source's id of the song, where it has one (Genius), else null
 * @param lyrics the lyrics, lines separated by "\n", no trailing newline
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Song(
        @JsonProperty("artist") String artist,
        @JsonProperty("title") String title,
        @JsonProperty("source") String source,
        @JsonProperty("song_id") Long songId,
        @JsonProperty("lyrics") String lyrics) {}
