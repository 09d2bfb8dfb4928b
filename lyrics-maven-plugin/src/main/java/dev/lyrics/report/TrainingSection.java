package dev.lyrics.report;

import static dev.lyrics.report.Html.decimal;
import static dev.lyrics.report.Html.row;
import static dev.lyrics.report.Html.table;

import dev.lyrics.train.LossLog;
import java.io.IOException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jsoup.nodes.Element;

/** Every model stage's training: a summary row and a loss chart each. */
public record TrainingSection(List<Curve> curves) implements ReportSection.Content {
    /**
     * @param log    a stage's loss log
     * @param source where it was read, relative to the outputs directory ("finetune/loss.jsonl")
     */
    public record Curve(LossLog.Curve log, String source) {}

    public TrainingSection {
        curves = List.copyOf(curves);
    }

    @Override
    public void fill(Element section) throws IOException {
        Element summary = table(section, "model", "epochs", "steps", "last train loss", "last validation loss",
                "best validation loss");
        // two charts a row: every model's curves on one screen
        Element charts = section.appendElement("div").addClass("charts");
        for (Curve curve : curves) {
            LossLog.Curve log = curve.log();
            String stage = log.stage();
            Map<String, List<LossLog.Point>> splits = log.bySplit();
            List<LossLog.Point> train = splits.getOrDefault("train", List.of());
            List<LossLog.Point> validation = splits.getOrDefault("validation", List.of());
            row(summary, stage,
                    Integer.toString(log.points().stream().mapToInt(LossLog.Point::epoch).max().orElse(0)),
                    Long.toString(log.points().stream().mapToLong(LossLog.Point::step).max().orElse(0)),
                    train.isEmpty() ? "-" : decimal(train.get(train.size() - 1).loss(), 4),
                    validation.isEmpty() ? "-" : decimal(validation.get(validation.size() - 1).loss(), 4),
                    validation.isEmpty() ? "-" : decimal(validation.stream().mapToDouble(LossLog.Point::loss).min().orElse(0), 4));
            Element figure = charts.appendElement("figure");
            figure.appendElement("img").addClass("chart")
                    .attr("alt", stage + " training and validation loss")
                    .attr("width", Integer.toString(LossChart.WIDTH)).attr("height", Integer.toString(LossChart.HEIGHT))
                    .attr("src", "data:image/png;base64," + Base64.getEncoder().encodeToString(LossChart.png(log)));
            figure.appendElement("figcaption").text(stage + ": " + train.size() + " train and " + validation.size()
                    + " validation points, from " + curve.source());
        }
    }
}
