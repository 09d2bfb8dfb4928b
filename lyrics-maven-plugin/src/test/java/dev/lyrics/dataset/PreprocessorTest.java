package dev.lyrics.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.core.Log;
import dev.lyrics.core.LyricsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PreprocessorTest {
    @TempDir
    Path dir;

    /** Songs of made-up words: no two share a 5-word phrase by chance. */
    static List<Song> songs(Map<String, Integer> songsPerArtist) {
        Random random = new Random(1);
        List<Song> songs = new ArrayList<>();
        new TreeMap<>(songsPerArtist).forEach((artist, count) -> {
            for (int n = 1; n <= count; n++) {
                StringBuilder lyrics = new StringBuilder();
                for (int line = 0; line < 6; line++) {
                    for (int word = 0; word < 7; word++) {
                        lyrics.append(word == 0 ? "" : " ").append("w").append(random.nextInt(100_000));
                    }
                    lyrics.append(line < 5 ? "\n" : "");
                }
                songs.add(new Song(artist, "Song " + n, "test:" + artist + "/" + n, null, lyrics.toString()));
            }
        });
        return songs;
    }

    static Preprocessor.Settings settings(double testFraction, long seed) {
        return new Preprocessor.Settings(testFraction, seed, Preprocessor.DEFAULT_INSTRUCTIONS,
                Preprocessor.DEFAULT_INPUT_TEMPLATE, 2, 0.15);
    }

    Path songsFile(List<Song> songs) throws IOException {
        Path file = dir.resolve("songs.jsonl");
        SongsJsonl.write(file, songs);
        return file;
    }

    @Test
    void sameSeedGivesTheSameSplitAndAnotherSeedADifferentOne() {
        List<Song> songs = songs(Map.of("A", 30, "B", 30));
        SongSplit first = SongSplit.of(songs, 0.2, 3407, 0.15);
        assertEquals(first, SongSplit.of(songs, 0.2, 3407, 0.15));
        assertNotEquals(first.test(), SongSplit.of(songs, 0.2, 3408, 0.15).test());
    }

    @Test
    void splitDoesNotDependOnInputOrder() {
        List<Song> songs = songs(Map.of("A", 20, "B", 15));
        List<Song> shuffled = new ArrayList<>(songs);
        Collections.shuffle(shuffled, new Random(7));
        assertEquals(Set.copyOf(SongSplit.of(songs, 0.2, 3407, 0.15).test()),
                Set.copyOf(SongSplit.of(shuffled, 0.2, 3407, 0.15).test()));
    }

    @Test
    void everySongIsOnExactlyOneSideInTheStudysProportions() {
        // the study: three artists, 299 songs, 239 train / 60 test
        List<Song> songs = songs(Map.of("Jay-Z", 100, "Kanye West", 100, "Kendrick Lamar", 99));
        SongSplit split = SongSplit.of(songs, 0.2, 3407, 0.15);
        assertEquals(239, split.train().size());
        assertEquals(60, split.test().size());
        Set<Song> train = new HashSet<>(split.train());
        assertTrue(split.test().stream().noneMatch(train::contains));
        Set<Song> all = new HashSet<>(split.train());
        all.addAll(split.test());
        assertEquals(Set.copyOf(songs), all);
        for (String artist : List.of("Jay-Z", "Kanye West", "Kendrick Lamar")) {
            assertEquals(20, split.test().stream().filter(s -> s.artist().equals(artist)).count(), artist);
        }
    }

    @Test
    void overlappingSongsStayOnOneSide() {
        List<Song> songs = new ArrayList<>(songs(Map.of("A", 20)));
        Song original = songs.get(0);
        // the same song under another title with one line changed: a near-duplicate
        songs.add(new Song("A", "Song 1 (Remix)", "test:remix", null, original.lyrics().replaceFirst("w\\d+", "remixed")));
        for (long seed = 0; seed < 20; seed++) {
            SongSplit split = SongSplit.of(songs, 0.2, seed, 0.15);
            assertEquals(split.test().contains(original), split.test().contains(songs.get(20)), "seed " + seed);
            assertEquals(1, split.overlaps().size());
            assertEquals(new SongOverlaps.Pair(0, 20, split.overlaps().get(0).containment()), split.overlaps().get(0));
        }
    }

    @Test
    void leakageAcrossTheSplitIsCaughtNamingBothSongs() {
        List<Song> songs = songs(Map.of("A", 3, "B", 1));
        Song copy = new Song("B", "Stolen Verses", "test:copy", null, songs.get(1).lyrics().toUpperCase() + "!");
        LyricsException e = assertThrows(LyricsException.class,
                () -> SongOverlaps.requireNoLeakage(List.of(songs.get(0), songs.get(1)), List.of(songs.get(3), copy), 0.9));
        assertTrue(e.getMessage().contains("train \"Song 2\" by A and test \"Stolen Verses\" by B (100% shared)"), e.getMessage());
        SongOverlaps.requireNoLeakage(List.of(songs.get(0), songs.get(1)), List.of(songs.get(2), songs.get(3)), 0.9);
    }

    @Test
    void containmentCountsAnExcerptOfALongerSong() {
        Song longer = songs(Map.of("A", 1)).get(0);
        String[] lines = longer.lyrics().split("\n");
        Song excerpt = new Song("A", "Excerpt", null, null, lines[2] + "\n" + lines[3]);
        List<SongOverlaps.Pair> pairs = SongOverlaps.find(List.of(longer, excerpt), 0.9);
        assertEquals(List.of(new SongOverlaps.Pair(0, 1, 1.0)), pairs);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0, 1, 1.5, -0.2, Double.NaN})
    void testFractionOutsideZeroToOneIsRejected(double testFraction) {
        ConfigException e = assertThrows(ConfigException.class, () -> settings(testFraction, 3407));
        assertTrue(e.getMessage().contains("lyrics.preprocess.testFraction"), e.getMessage());
    }

    @Test
    void aSplitLeavingOneSideEmptyIsRejected() {
        ConfigException e = assertThrows(ConfigException.class, () -> SongSplit.of(songs(Map.of("A", 2)), 0.2, 1, 0.15));
        assertTrue(e.getMessage().contains("lyrics.preprocess.testFraction"), e.getMessage());
        assertTrue(e.getMessage().contains("test set empty"), e.getMessage());
    }

    @Test
    void vocabulariesComeFromTrainOnly() throws IOException {
        List<Song> songs = songs(Map.of("A", 10));
        Preprocessor.Settings settings = settings(0.2, 3407);
        SongSplit plain = SongSplit.of(songs, 0.2, 3407, 0.15);
        // mark every test song with a character and a word that no train song has
        List<Song> marked = new ArrayList<>();
        for (Song song : songs) {
            boolean test = plain.test().contains(song);
            marked.add(test ? new Song(song.artist(), song.title(), song.source(), null, song.lyrics() + "\nZebra Zebra ж") : song);
        }
        Path out = dir.resolve("out");
        SongSplit split = Preprocessor.run(songsFile(marked), settings, out, Log.SILENT);
        assertEquals(plain.test().size(), split.test().size());
        assertTrue(split.test().stream().allMatch(s -> s.lyrics().endsWith("ж")), "marked songs went to test");

        JsonNode chars = Json.MAPPER.readTree(out.resolve("vocab_char.json").toFile());
        JsonNode words = Json.MAPPER.readTree(out.resolve("vocab_word.json").toFile());
        assertFalse(chars.has("ж"));
        assertFalse(chars.has("Z"));
        assertFalse(words.has("Zebra"));
        assertTrue(chars.has("w"));
        JsonNode info = Json.MAPPER.readTree(out.resolve("dataset_info.json").toFile());
        assertTrue(info.at("/vocab/char/test_oov_rate").asDouble() > 0);
        assertTrue(info.at("/vocab/word/test_oov_rate").asDouble() > 0);
        assertEquals(chars.size(), info.at("/vocab/char/size").asInt());
    }

    @Test
    void vocabularyIdsAreSpecialsThenByCountThenCodePoint() {
        Vocabulary vocabulary = Vocabulary.build(
                TextUnits.words("<|song_start|>\nb b a a c\n<|song_end|>\n"), 2);
        assertEquals(Map.of("<pad>", 0, "<unk>", 1, "<|song_start|>", 2, "<|song_end|>", 3, "\n", 4, "a", 5, "b", 6),
                vocabulary.ids());
        assertEquals(0.5, vocabulary.outOfVocabularyRate(List.of("a", "c", TextUnits.SONG_END, "b", "d")));
    }

    @Test
    void writesAlpacaRecordsAndDelimitedTextAndStatistics() throws IOException {
        List<Song> songs = songs(Map.of("A", 6, "B", 4));
        Preprocessor.Settings settings = new Preprocessor.Settings(0.2, 3407, List.of("Only instruction."),
                "Lyrics like {artist}, please.", 1, 0.15);
        Path out = dir.resolve("out");
        SongSplit split = Preprocessor.run(songsFile(songs), settings, out, Log.SILENT);

        JsonNode train = Json.MAPPER.readTree(out.resolve("train.json").toFile());
        assertEquals(split.train().size(), train.size());
        Song first = split.train().get(0);
        assertEquals("Only instruction.", train.get(0).get("instruction").asText());
        assertEquals("Lyrics like " + first.artist() + ", please.", train.get(0).get("input").asText());
        assertEquals(first.lyrics(), train.get(0).get("output").asText());
        assertEquals(Preprocessor.plainText(split.test()), Files.readString(out.resolve("test_lyrics.txt")));
        assertTrue(Files.readString(out.resolve("train_lyrics.txt"))
                .startsWith("<|song_start|>\n" + first.lyrics() + "\n<|song_end|>\n"));

        JsonNode info = Json.MAPPER.readTree(out.resolve("dataset_info.json").toFile());
        assertEquals(split.test().size(), info.at("/test/songs").asInt());
        assertEquals(split.test().size() * 6, info.at("/test/lines").asInt());
        assertEquals(split.test().size() * 42, info.at("/test/words").asInt());
        long trainOfA = split.train().stream().filter(s -> s.artist().equals("A")).count();
        assertEquals(trainOfA, info.at("/train/artists/A/songs").asLong());
    }

    @Test
    void instructionVariantsArePickedBySeed() throws IOException {
        List<Song> songs = songs(Map.of("A", 20));
        Preprocessor.run(songsFile(songs), settings(0.2, 3407), dir.resolve("one"), Log.SILENT);
        Preprocessor.run(songsFile(songs), settings(0.2, 3407), dir.resolve("two"), Log.SILENT);
        assertEquals(Files.readString(dir.resolve("one/train.json")), Files.readString(dir.resolve("two/train.json")));
        Set<String> used = new HashSet<>();
        Json.MAPPER.readTree(dir.resolve("one/train.json").toFile()).forEach(r -> used.add(r.get("instruction").asText()));
        assertEquals(Set.copyOf(Preprocessor.DEFAULT_INSTRUCTIONS), used);
    }

    @Test
    void aSongWithoutWordsNamesTheFile() throws IOException {
        List<Song> songs = new ArrayList<>(songs(Map.of("A", 5)));
        songs.add(new Song("A", "Instrumental", null, null, "..."));
        Path file = songsFile(songs);
        InputException e = assertThrows(InputException.class,
                () -> Preprocessor.run(file, settings(0.2, 3407), dir.resolve("out"), Log.SILENT));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("\"Instrumental\" by A"), e.getMessage());
    }

    @Test
    void aSongOfOnlyBracketsNamesItsSourceAndSongIdAndHowToExcludeIt() throws IOException {
        List<Song> songs = new ArrayList<>(songs(Map.of("A", 5)));
        songs.add(new Song("A", "Unknown", "https://genius.com/A-unknown-lyrics", 4242L, "[Verse 1]\n[?]"));
        Path file = songsFile(songs);
        InputException e = assertThrows(InputException.class,
                () -> Preprocessor.run(file, settings(0.2, 3407), dir.resolve("out"), Log.SILENT));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("\"Unknown\" by A (source https://genius.com/A-unknown-lyrics, song id 4242)"),
                e.getMessage());
        assertTrue(e.getMessage().contains("no words outside square brackets"), e.getMessage());
        assertTrue(e.getMessage().contains("remove its record"), e.getMessage());
    }

    @Test
    void theEmbeddedPsalmsSplitWithTheirParallelsTogether() throws IOException {
        List<Song> psalms = SongsJsonl.read(Path.of("../data/psalms.jsonl"), null);
        assertEquals(150, psalms.size());
        SongSplit split = SongSplit.of(psalms, 0.2, 3407, 0.15);
        assertEquals(30, split.test().size());
        Set<String> testTitles = new HashSet<>();
        split.test().forEach(s -> testTitles.add(s.title()));
        for (List<String> parallels : List.of(List.of("Psalm 14", "Psalm 53"), List.of("Psalm 40", "Psalm 70"),
                List.of("Psalm 57", "Psalm 60", "Psalm 108"), List.of("Psalm 42", "Psalm 43"))) {
            assertEquals(1, parallels.stream().map(testTitles::contains).distinct().count(), parallels.toString());
        }
        SongOverlaps.requireNoLeakage(split.train(), split.test(), 0.15);
    }
}
