package dev.lyrics.report;

import static dev.lyrics.report.Html.integer;
import static dev.lyrics.report.Html.percent;
import static dev.lyrics.report.Html.row;
import static dev.lyrics.report.Html.table;

import dev.lyrics.dataset.DatasetInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.jsoup.nodes.Element;

/** The dataset: each split's totals and artists, the vocabularies, how the split was made and the overlaps it kept together. */
public record DatasetSection(DatasetInfo info) implements ReportSection.Content {
    @Override
    public void fill(Element section) {
        Element splits = table(section, "split", "songs", "lines", "words", "chars");
        for (String name : List.of("train", "test")) {
            DatasetInfo.Counts s = (name.equals("train") ? info.train() : info.test()).totals();
            row(splits, name, integer(s.songs()), integer(s.lines()), integer(s.words()), integer(s.chars()));
        }
        section.appendElement("h3").text("Per artist");
        Element artists = table(section, "artist", "train songs", "test songs", "train words", "test words");
        SortedMap<String, DatasetInfo.Counts[]> byArtist = new TreeMap<>();
        info.train().artists().forEach((artist, counts) -> byArtist.computeIfAbsent(artist, a -> new DatasetInfo.Counts[2])[0] = counts);
        info.test().artists().forEach((artist, counts) -> byArtist.computeIfAbsent(artist, a -> new DatasetInfo.Counts[2])[1] = counts);
        byArtist.forEach((artist, sides) -> row(artists, artist, integer(sides[0] == null ? null : sides[0].songs()),
                integer(sides[1] == null ? null : sides[1].songs()), integer(sides[0] == null ? null : sides[0].words()),
                integer(sides[1] == null ? null : sides[1].words())));
        section.appendElement("h3").text("Vocabularies (from the training split)");
        Element vocab = table(section, "level", "size", "min count", "test out-of-vocabulary rate");
        info.vocabularies().forEach((level, v) -> row(vocab, level, integer(v.size()), integer(v.minCount()),
                percent(v.testOovRate())));
        if (info.split() != null) {
            List<String> settings = new ArrayList<>();
            info.split().forEach((name, value) -> settings.add(name + " " + value));
            section.appendElement("p").text("Split: " + String.join(", ", settings) + ".");
        }
        if (!info.overlaps().isEmpty()) {
            section.appendElement("h3").text("Overlapping songs, kept on one side of the split");
            Element list = section.appendElement("ul");
            for (DatasetInfo.Overlap overlap : info.overlaps()) {
                list.appendElement("li").text(String.join(" and ", overlap.songs()) + " (" + percent(overlap.shared())
                        + " shared, " + overlap.side() + ")");
            }
        }
    }
}
