package dev.lyrics.scrape.genius;

import dev.lyrics.cache.StageContext;
import dev.lyrics.core.Json;
import dev.lyrics.core.Log;
import dev.lyrics.core.Progress;
import dev.lyrics.dataset.Song;
import dev.lyrics.scrape.SongSource;
import dev.lyrics.scrape.genius.GeniusClient.ListedSong;
import dev.lyrics.scrape.genius.LyricsExtractor.Extraction;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The study's songs from Genius: for each artist, the songs the API lists by popularity, filtered
 * by metadata (primary artist, lyrics state, instrumental, title exclusions, duplicates), then
 * their pages fetched a few at a time and their lyrics extracted, until the artist has
 * maxSongsPerArtist songs or runs out. Which songs are kept depends only on the responses, never on
 * timing: pages are fetched in batches and judged in list order. Writes scrape-report.json beside
 * songs.jsonl.
 */
public final class GeniusSource implements SongSource {
    public static final String REPORT_FILE = "scrape-report.json";

    private final GeniusSettings settings;
    private final GeniusToken token;
    private final Pattern excludedTitle;

    public GeniusSource(GeniusSettings settings, GeniusToken token) {
        this.settings = settings;
        this.token = Objects.requireNonNull(token, "token");
        this.excludedTitle = excludedTitlePattern(settings.excludeTerms());
    }

    /** The terms as whole words, any case: "live" excludes "Live from Paris" but not "Alive". */
    static Pattern excludedTitlePattern(List<String> terms) {
        List<String> words = terms.stream().map(String::strip).filter(t -> !t.isEmpty()).map(Pattern::quote).toList();
        if (words.isEmpty()) {
            return null;
        }
        return Pattern.compile("(?<![\\p{L}\\p{N}])(?:" + String.join("|", words) + ")(?![\\p{L}\\p{N}])",
                Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    }

    @Override
    public List<Song> songs(StageContext context) throws Exception {
        Log log = context.log();
        GeniusClient client = new GeniusClient(settings, token, log);
        ExecutorService pageFetchers = Executors.newFixedThreadPool(settings.concurrency(), daemonThreads());
        List<Song> songs = new ArrayList<>();
        List<Map<String, Object>> report = new ArrayList<>();
        Set<Long> seenIds = new HashSet<>();
        Set<String> seenLyrics = new HashSet<>();
        try {
            for (String artist : settings.artists()) {
                ArtistScrape scrape = new ArtistScrape(artist, client, pageFetchers, seenIds, seenLyrics, log);
                songs.addAll(scrape.run());
                report.add(scrape.report());
            }
        } finally {
            stop(pageFetchers);
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("source", "genius");
        summary.put("kept", songs.size());
        summary.put("artists", report);
        Json.write(context.outputDir().resolve(REPORT_FILE), summary);
        log.info("lyrics:scrape Genius requests: " + client.requestSummary());
        return songs;
    }

    /** One artist's songs; judges pages in list order whatever order they arrive in. */
    private final class ArtistScrape {
        private final String artist;
        private final GeniusClient client;
        private final ExecutorService pageFetchers;
        private final Set<Long> seenIds;
        private final Set<String> seenLyrics;
        private final Log log;
        private final Map<String, Integer> skipped = new TreeMap<>();
        private final List<Song> kept = new ArrayList<>();
        private GeniusClient.Artist geniusArtist;
        private int listed;

        ArtistScrape(String artist, GeniusClient client, ExecutorService pageFetchers, Set<Long> seenIds,
                Set<String> seenLyrics, Log log) {
            this.artist = artist;
            this.client = client;
            this.pageFetchers = pageFetchers;
            this.seenIds = seenIds;
            this.seenLyrics = seenLyrics;
            this.log = log;
        }

        List<Song> run() throws Exception {
            geniusArtist = client.findArtist(artist);
            int limit = settings.maxSongsPerArtist();
            Progress progress = new Progress(log, "lyrics:scrape " + artist, "songs", limit);
            List<ListedSong> pending = new ArrayList<>();
            Integer nextPage = 1;
            while (kept.size() < limit) {
                List<ListedSong> batch = new ArrayList<>();
                while (batch.size() < limit - kept.size()) {
                    if (pending.isEmpty()) {
                        if (nextPage == null) {
                            break;
                        }
                        GeniusClient.SongsPage page = client.artistSongs(geniusArtist.id(), nextPage);
                        pending.addAll(page.songs());
                        nextPage = page.songs().isEmpty() ? null : page.nextPage();
                        continue;
                    }
                    ListedSong song = pending.remove(0);
                    listed++;
                    String reason = metadataSkipReason(song);
                    if (reason != null) {
                        skip(reason);
                    } else {
                        seenIds.add(song.id());
                        batch.add(song);
                    }
                }
                if (batch.isEmpty()) {
                    break;
                }
                boolean listExhausted = pending.isEmpty() && nextPage == null;
                judge(batch, fetchPages(batch), listExhausted, progress);
            }
            log.info("lyrics:scrape " + artist + ": listed " + listed + ", kept " + kept.size()
                    + (skipped.isEmpty() ? "" : ", skipped " + skipped.entrySet().stream()
                            .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "))));
            if (kept.isEmpty()) {
                throw new GeniusException("no songs kept for artist " + artist + " (Genius artist " + geniusArtist.id()
                        + ", listed " + listed + ", skipped " + skipped + "); check lyrics.scrape.artists and lyrics.genius.excludeTerms");
            }
            return kept;
        }

        private String metadataSkipReason(ListedSong song) {
            if (seenIds.contains(song.id())) {
                return "duplicate-song-id";
            }
            long id = geniusArtist.id();
            boolean own = song.primaryArtistIds().contains(id);
            if (!own && !(settings.includeFeatures() && song.featuredArtistIds().contains(id))) {
                return "other-artist";
            }
            if (!song.lyricsState().equals("complete")) {
                return "lyrics-not-complete";
            }
            if (song.instrumental()) {
                return "instrumental";
            }
            if (excludedTitle != null && excludedTitle.matcher(song.title()).find()) {
                return "excluded-title";
            }
            return null;
        }

        private List<Future<String>> fetchPages(List<ListedSong> batch) {
            List<Future<String>> pages = new ArrayList<>();
            for (ListedSong song : batch) {
                pages.add(pageFetchers.submit(() -> client.songPage(song.path())));
            }
            return pages;
        }

        /**
         * Judges each page as it arrives, in list order, and reports progress as it goes; once the
         * artist's list is exhausted, progress counts towards the songs that can still be kept
         * rather than the limit, so its ETA is that of the songs the artist has.
         */
        private void judge(List<ListedSong> batch, List<Future<String>> pages, boolean listExhausted, Progress progress)
                throws Exception {
            for (int i = 0; i < batch.size(); i++) {
                ListedSong song = batch.get(i);
                String html = await(pages.get(i));
                Extraction extraction = html == null ? Extraction.skipped("page-not-found") : LyricsExtractor.extract(html);
                if (extraction.skipReason() == null && !seenLyrics.add(LyricsExtractor.comparable(extraction.lyrics()))) {
                    extraction = Extraction.skipped("duplicate-lyrics");
                }
                if (extraction.skipReason() == null) {
                    kept.add(new Song(artist, song.title(), song.url(), song.id(), extraction.lyrics()));
                } else {
                    if (extraction.skipReason().equals("page-not-found") || extraction.skipReason().equals("no-lyrics-container")) {
                        log.warn("lyrics:scrape " + artist + ": " + extraction.skipReason() + " for \"" + song.title() + "\" ("
                                + song.url() + ")" + (html == null ? "" : "; has Genius changed its pages?"));
                    }
                    skip(extraction.skipReason());
                }
                if (listExhausted) {
                    progress.total(kept.size() + batch.size() - 1 - i);
                }
                progress.update(kept.size(), "listed " + listed + ", skipped " + skippedCount());
            }
        }

        private int skippedCount() {
            return skipped.values().stream().mapToInt(Integer::intValue).sum();
        }

        private void skip(String reason) {
            skipped.merge(reason, 1, Integer::sum);
        }

        Map<String, Object> report() {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("artist", artist);
            entry.put("genius_artist_id", geniusArtist.id());
            entry.put("genius_artist_name", geniusArtist.name());
            entry.put("listed", listed);
            entry.put("kept", kept.size());
            entry.put("skipped", skipped);
            return entry;
        }
    }

    private static <T> T await(Future<T> future) throws Exception {
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** Interrupts fetches still running (after a failure or an interrupt) and waits for them to end. */
    private static void stop(ExecutorService pool) {
        pool.shutdownNow();
        boolean interrupted = Thread.interrupted();
        try {
            pool.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, "genius-page-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
