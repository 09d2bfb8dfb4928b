package dev.lyrics.report;

import static dev.lyrics.report.Html.row;
import static dev.lyrics.report.Html.table;

import dev.lyrics.generate.Sample;
import dev.lyrics.generate.SampleTable;
import dev.lyrics.generate.Samples;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.jsoup.nodes.Element;

/** The samples: their metrics beside the test songs', then the texts, one row per artist with its models side by side. */
public record SamplesSection(Samples samples) implements ReportSection.Content {
    @Override
    public void fill(Element section) {
        section.appendElement("p").text("Sampling: " + SampleTable.settings(samples) + ".");
        Element table = table(section, SampleTable.HEADERS.toArray(String[]::new));
        for (Sample sample : samples.samples()) {
            row(table, SampleTable.row(sample).toArray(String[]::new));
        }
        row(table, SampleTable.referenceRow(samples.reference()).toArray(String[]::new)).addClass("reference");
        section.appendElement("p").addClass("note").text(SampleTable.DEFINITIONS);
        // one row per artist, its models' samples side by side; the recurrent models' (no artist) last
        SortedMap<String, List<Sample>> byArtist = new TreeMap<>(Comparator.nullsLast(Comparator.<String>naturalOrder()));
        for (Sample sample : samples.samples()) {
            byArtist.computeIfAbsent(sample.artist(), artist -> new ArrayList<>()).add(sample);
        }
        for (List<Sample> group : byArtist.values()) {
            Element texts = section.appendElement("div").addClass("samples");
            group.stream().sorted(Comparator.comparing(Sample::model)).forEach(sample -> sampleArticle(texts, sample));
        }
    }

    private static void sampleArticle(Element parent, Sample sample) {
        Element article = parent.appendElement("article").addClass("sample");
        article.appendElement("h3").text(SampleTable.heading(sample));
        article.appendElement("p").addClass("meta").text(SampleTable.details(sample));
        Element prompt = article.appendElement("details");
        prompt.appendElement("summary").text("prompt");
        prompt.appendElement("pre").addClass("prompt").text(sample.prompt());
        article.appendElement("pre").addClass("lyrics").text(sample.text());
        String copied = SampleTable.copiedSpan(sample);
        if (copied != null) {
            article.appendElement("p").addClass("copied").text(copied);
        }
    }
}
