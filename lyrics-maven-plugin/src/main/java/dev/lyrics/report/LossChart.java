package dev.lyrics.report;

import dev.lyrics.train.LossLog;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** Draws a model's training and validation loss against the optimiser step, as a PNG. */
public final class LossChart {
    static final int WIDTH = 560;
    static final int HEIGHT = 320;
    private static final Color TRAIN = new Color(0x1f77b4);
    private static final Color VALIDATION = new Color(0xd62728);

    static {
        // charts are drawn off-screen, also on machines without a display
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private LossChart() {}

    public static byte[] png(LossLog.Curve log) throws IOException {
        XYSeriesCollection dataset = new XYSeriesCollection();
        for (Map.Entry<String, List<LossLog.Point>> split : log.bySplit().entrySet()) {
            // several points may share a step (a validation pass at the step that ends an epoch)
            XYSeries series = new XYSeries(split.getKey(), false, true);
            for (LossLog.Point point : split.getValue()) {
                series.add(point.step(), point.loss());
            }
            dataset.addSeries(series);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(log.stage() + ": loss", "optimiser step", "loss (nats per unit)",
                dataset, PlotOrientation.VERTICAL, true, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer();
        for (int i = 0; i < dataset.getSeriesCount(); i++) {
            boolean validation = "validation".equals(dataset.getSeriesKey(i));
            renderer.setSeriesPaint(i, validation ? VALIDATION : TRAIN);
            renderer.setSeriesStroke(i, new BasicStroke(validation ? 2.0f : 1.2f));
            // validation comes once an epoch or so: its points matter, the train curve is dense
            renderer.setSeriesShapesVisible(i, validation || dataset.getItemCount(i) < 30);
        }
        plot.setRenderer(renderer);
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        BufferedImage image = chart.createBufferedImage(WIDTH, HEIGHT);
        return ChartUtils.encodeAsPNG(image);
    }
}
