package dev.lyrics.scrape;

import dev.lyrics.cache.StageContext;
import dev.lyrics.dataset.Song;
import java.util.List;

/** Where songs come from: the embedded corpus or Genius. */
public interface SongSource {
    /**
     * Collects the songs of the configured artists, in a deterministic order (artist order as
     * configured, then the source's own order). May write extra outputs (a scrape report) and keep
     * resumable state in the stage's work area.
     */
    List<Song> songs(StageContext context) throws Exception;
}
