package dev.lyrics.mojo;

import dev.lyrics.cache.StageResult;
import dev.lyrics.cache.StageRunner;
import dev.lyrics.cache.StageSpec;
import dev.lyrics.core.Files2;
import dev.lyrics.core.Log;
import dev.lyrics.report.ReportPage;
import dev.lyrics.report.StageRecord;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Writes report/report.html: the whole experiment on one self-contained page. Bind it last in the
 * verify phase, after perplexity and generate. Its key covers every file the page shows and every
 * stage's key; whether each stage was computed or restored is shown as the build that wrote the
 * page saw it (a key holding that would make every second build rerun the report).
 */
@Mojo(name = "report", defaultPhase = LifecyclePhase.VERIFY, threadSafe = true)
public class ReportMojo extends AbstractStageMojo {
    static final String STAGE = "report";
    static final String PAGE = "report.html";

    /** Skips this goal. */
    @Parameter(property = "lyrics.report.skip", defaultValue = "false")
    boolean skipReport;

    @Override
    protected String goal() {
        return "report";
    }

    @Override
    protected boolean goalSkipped() {
        return skipReport;
    }

    @Override
    protected void run(StageRunner runner, Log log) throws Exception {
        ReportPage page = new ReportPage(outputDirectory.toPath(), STAGE);
        StageSpec.Builder spec = StageSpec.builder("report", STAGE, stageDir(STAGE));
        page.inputs().forEach(spec::input);
        for (StageRecord stage : page.stages()) {
            spec.param("stage." + stage.name(), stage.key());
        }
        StageResult result = runner.run(spec.build(),
                context -> Files2.writeAtomically(context.outputDir().resolve(PAGE), page.render(context.key())));
        log.info("lyrics:report " + result.outputDir().resolve(PAGE).toUri());
    }
}
