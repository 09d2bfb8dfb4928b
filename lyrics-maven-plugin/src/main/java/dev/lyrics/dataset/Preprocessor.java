package dev.lyrics.dataset;

import dev.lyrics.core.ConfigException;
import dev.lyrics.core.Files2;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.core.Log;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Turns songs.jsonl into the datasets of the study: a seeded split by song ({@link SongSplit}),
 * checked for leakage, written as Alpaca records (train.json, test.json) and as plain text with
 * song delimiters (train_lyrics.txt, test_lyrics.txt), with char and word vocabularies built from
 * the training text alone (vocab_char.json, vocab_word.json) and statistics (dataset_info.json).
 */
public final class Preprocessor {
    public static final List<String> DEFAULT_INSTRUCTIONS = List.of(
            "Write song lyrics in the requested style.",
            "You are a songwriter. Write the lyrics of a new song.",
            "Compose original lyrics for the song described below.");
    public static final String DEFAULT_INPUT_TEMPLATE = "Help me write a song in the style of {artist}.";
    public static final String ARTIST_PLACEHOLDER = "{artist}";

    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{M}\\p{N}']+");

    /**
     * @param testFraction     share of songs in the test set, in (0, 1)
     * @param seed             seeds the split and the choice of instruction
     * @param instructions     Alpaca instruction variants, one picked per song
     * @param inputTemplate    Alpaca input; {artist} is replaced by the song's artist
     * @param minWordCount     a word enters vocab_word.json when seen this often in train; rarer ones are {@code <unk>}
     * @param overlapThreshold songs sharing this share of their 5-word phrases stay on one side (see {@link SongOverlaps})
     */
    public record Settings(double testFraction, long seed, List<String> instructions, String inputTemplate,
            int minWordCount, double overlapThreshold) {
        public Settings {
            ConfigException.require(testFraction > 0 && testFraction < 1, "lyrics.preprocess.testFraction", testFraction,
                    "must be between 0 and 1, exclusive");
            ConfigException.require(!instructions.isEmpty() && instructions.stream().noneMatch(String::isBlank),
                    "lyrics.preprocess.instructions", instructions, "needs at least one instruction, none blank");
            ConfigException.require(!inputTemplate.isBlank(), "lyrics.preprocess.inputTemplate", "blank",
                    "must not be blank");
            ConfigException.require(minWordCount >= 1, "lyrics.preprocess.minWordCount", minWordCount, "must be at least 1");
            ConfigException.require(overlapThreshold > 0 && overlapThreshold <= 1, "lyrics.preprocess.overlapThreshold",
                    overlapThreshold, "must be in (0, 1]");
            instructions = List.copyOf(instructions);
        }
    }

    /** Songs, lines, words and code points of lyrics. */
    public record TextStats(long songs, long lines, long words, long chars) {
        static final TextStats NONE = new TextStats(0, 0, 0, 0);

        static TextStats of(Song song) {
            String lyrics = song.lyrics();
            return new TextStats(1, lyrics.split("\n", -1).length, WORD.matcher(lyrics).results().count(),
                    lyrics.codePointCount(0, lyrics.length()));
        }

        TextStats plus(TextStats other) {
            return new TextStats(songs + other.songs, lines + other.lines, words + other.words, chars + other.chars);
        }
    }

    private Preprocessor() {}

    /** Reads the songs, splits them and writes every dataset file into {@code outputDir}. */
    public static SongSplit run(Path songsFile, Settings settings, Path outputDir, Log log) throws IOException {
        List<Song> songs = SongsJsonl.read(songsFile, "lyrics.preprocess.songsFile");
        if (songs.isEmpty()) {
            throw InputException.at(songsFile, "no songs: a dataset needs at least two (one to train on, one to test)");
        }
        for (Song song : songs) {
            if (!LyricWords.hasWordsOutsideBrackets(song.lyrics())) {
                throw InputException.at(songsFile, "song " + SongOverlaps.describe(song) + " (" + origin(song)
                        + ") has no words outside square brackets in its lyrics, only section headers, credits or a"
                        + " placeholder such as [?]; remove its record from the songs file, or from the corpus it was"
                        + " scraped from (lyrics.scrape.corpusFile); a Genius scrape skips such songs itself");
            }
        }
        SongSplit split = SongSplit.of(songs, settings.testFraction(), settings.seed(), settings.overlapThreshold());
        SongOverlaps.requireNoLeakage(split.train(), split.test(), settings.overlapThreshold());
        for (SongOverlaps.Pair pair : split.overlaps()) {
            log.info("overlapping songs kept on one side of the split: " + SongOverlaps.describe(songs.get(pair.first()))
                    + " and " + SongOverlaps.describe(songs.get(pair.second()))
                    + String.format(Locale.ROOT, " (%.0f%% shared)", 100 * pair.containment()));
        }

        Random instructionChoice = new Random(settings.seed());
        Json.write(outputDir.resolve("train.json"), alpaca(split.train(), settings, instructionChoice));
        Json.write(outputDir.resolve("test.json"), alpaca(split.test(), settings, instructionChoice));
        String trainText = plainText(split.train());
        String testText = plainText(split.test());
        Files2.writeAtomically(outputDir.resolve("train_lyrics.txt"), trainText);
        Files2.writeAtomically(outputDir.resolve("test_lyrics.txt"), testText);

        Vocabulary chars = Vocabulary.build(TextUnits.chars(trainText), 1);
        Vocabulary words = Vocabulary.build(TextUnits.words(trainText), settings.minWordCount());
        Json.write(outputDir.resolve("vocab_char.json"), chars.ids());
        Json.write(outputDir.resolve("vocab_word.json"), words.ids());

        double charOov = chars.outOfVocabularyRate(TextUnits.chars(testText));
        double wordOov = words.outOfVocabularyRate(TextUnits.words(testText));
        Map<String, Object> charInfo = Map.of("size", chars.size(), "test_oov_rate", rounded(charOov));
        Map<String, Object> wordInfo = Map.of("size", words.size(), "min_count", settings.minWordCount(),
                "test_oov_rate", rounded(wordOov));
        Map<String, Object> info = new TreeMap<>();
        info.put("train", stats(split.train()));
        info.put("test", stats(split.test()));
        info.put("vocab", Map.of("char", charInfo, "word", wordInfo));
        info.put("split", Map.of("test_fraction", settings.testFraction(), "seed", settings.seed(),
                "overlap_threshold", settings.overlapThreshold(), "shingle_words", SongOverlaps.SHINGLE_WORDS));
        info.put("overlaps", split.overlaps().stream().map(pair -> Map.of(
                "songs", List.of(SongOverlaps.describe(songs.get(pair.first())), SongOverlaps.describe(songs.get(pair.second()))),
                "shared", rounded(pair.containment()),
                "side", split.test().contains(songs.get(pair.first())) ? "test" : "train")).toList());
        Json.write(outputDir.resolve("dataset_info.json"), info);

        log.info(String.format(Locale.ROOT, "lyrics:preprocess split %d songs into %d train / %d test (seed %d),"
                        + " vocabularies %d chars / %d words, test OOV %.2f%% chars / %.2f%% words",
                songs.size(), split.train().size(), split.test().size(), settings.seed(), chars.size(), words.size(),
                100 * charOov, 100 * wordOov));
        return split;
    }

    private static List<AlpacaRecord> alpaca(List<Song> songs, Settings settings, Random instructionChoice) {
        List<AlpacaRecord> records = new ArrayList<>();
        for (Song song : songs) {
            String instruction = settings.instructions().get(instructionChoice.nextInt(settings.instructions().size()));
            String input = settings.inputTemplate().replace(ARTIST_PLACEHOLDER, song.artist());
            records.add(new AlpacaRecord(instruction, input, song.lyrics()));
        }
        return records;
    }

    /** "source kjv:Psalms 23", "source https://genius.com/..., song id 42": how to find a song's record. */
    private static String origin(Song song) {
        String source = "source " + (song.source() == null ? "not given" : song.source());
        return song.songId() == null ? source : source + ", song id " + song.songId();
    }

    /** Each song as a {@link SongText} block. */
    public static String plainText(List<Song> songs) {
        StringBuilder sb = new StringBuilder();
        for (Song song : songs) {
            sb.append(SongText.block(song.lyrics()));
        }
        return sb.toString();
    }

    /** Totals of a split and per artist, artists in sorted order. */
    private static Map<String, Object> stats(List<Song> songs) {
        TextStats total = TextStats.NONE;
        Map<String, TextStats> byArtist = new TreeMap<>();
        for (Song song : songs) {
            TextStats one = TextStats.of(song);
            total = total.plus(one);
            byArtist.merge(song.artist(), one, TextStats::plus);
        }
        return Map.of("songs", total.songs(), "lines", total.lines(), "words", total.words(), "chars", total.chars(),
                "artists", byArtist);
    }

    private static double rounded(double value) {
        return Math.round(value * 1e6) / 1e6;
    }
}
