package dev.lyrics.mojo;

import dev.lyrics.cache.StageResult;
import dev.lyrics.cache.StageRunner;
import dev.lyrics.core.Log;
import dev.lyrics.stage.Report;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Writes report/report.html: the whole experiment on one self-contained page. Bind it last in the
 * verify phase, after perplexity and generate. Its key covers every file the page shows and every
 * stage's key.
 */
@Mojo(name = "report", defaultPhase = LifecyclePhase.VERIFY, threadSafe = true)
public class ReportMojo extends AbstractStageMojo {
    /** Skips this goal. */
    @Parameter(property = "lyrics.report.skip", defaultValue = "false")
    boolean skipReport;

    @Override
    protected String goal() {
        return Report.GOAL;
    }

    @Override
    protected boolean goalSkipped() {
        return skipReport;
    }

    @Override
    protected void run(StageRunner runner, Log log) throws Exception {
        StageResult result = runner.run(new Report(), Report.GOAL, Report.Settings.of(outputDirectory.toPath()),
                stageDir(Report.GOAL));
        log.info("lyrics:report " + new Report.Outputs(result.outputDir()).page().toUri());
    }
}
