package dev.lyrics.mojo;

import dev.lyrics.cache.CodeFingerprint;
import dev.lyrics.cache.StageIoException;
import dev.lyrics.cache.StageRunner;
import dev.lyrics.core.LyricsException;
import dev.lyrics.core.Log;
import java.io.File;
import java.nio.file.Path;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;

/**
 * The shape of every goal: skip check, then one call into the core through the stage runner,
 * then exceptions translated. User-fixable problems ({@link LyricsException}: bad configuration,
 * bad input, a failed gate) become "BUILD FAILURE"; anything unexpected keeps its cause.
 */
public abstract class AbstractStageMojo extends AbstractMojo {
    /** The property of {@link #outputDirectory}, named in errors about the files stages read from there. */
    static final String OUTPUT_DIRECTORY = "lyrics.outputDirectory";

    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    MavenProject project;

    /** Skips every lyrics goal. */
    @Parameter(property = "lyrics.skip", defaultValue = "false")
    boolean skip;

    /** Where stage outputs are cached by content hash; outside target/ so `mvn clean verify` still hits. */
    @Parameter(property = "lyrics.cacheDir", defaultValue = "${project.basedir}/.lyrics-cache")
    File cacheDir;

    /** Neither reads nor writes the cache: every stage runs. */
    @Parameter(property = "lyrics.cache.disable", defaultValue = "false")
    boolean cacheDisable;

    /** Recomputes every stage and replaces its cache entry. */
    @Parameter(property = "lyrics.cache.refresh", defaultValue = "false")
    boolean cacheRefresh;

    /** Where stages publish their outputs for the rest of the build. */
    @Parameter(property = OUTPUT_DIRECTORY, defaultValue = "${project.build.directory}/lyrics")
    File outputDirectory;

    @Override
    public final void execute() throws MojoExecutionException, MojoFailureException {
        if (skip || goalSkipped()) {
            getLog().info("lyrics:" + goal() + " skipped");
            return;
        }
        Log log = new MavenLog(getLog());
        StageRunner.Mode mode = cacheDisable ? StageRunner.Mode.DISABLED
                : cacheRefresh ? StageRunner.Mode.REFRESH : StageRunner.Mode.NORMAL;
        StageRunner runner = new StageRunner(cacheDir.toPath(), mode, CodeFingerprint.ofPlugin(),
                outputDirectory.toPath().resolve("stages"), log);
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        // DJL finds its engine and native libraries through the context class loader
        thread.setContextClassLoader(getClass().getClassLoader());
        try {
            run(runner, log);
        } catch (LyricsException e) {
            throw new MojoFailureException(e.getMessage(), e);
        } catch (StageIoException e) {
            // already names the stage, the path and what to do
            throw new MojoExecutionException(e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new MojoExecutionException("lyrics:" + goal() + " failed: " + e, e);
        } catch (Exception e) {
            throw new MojoExecutionException("lyrics:" + goal() + " failed: " + e.getMessage(), e);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** The goal's name, as in "lyrics:&lt;goal&gt;". */
    protected abstract String goal();

    /** The goal's own skip switch, lyrics.&lt;goal&gt;.skip. */
    protected abstract boolean goalSkipped();

    /** Builds the goal's stage specs from its parameters and runs them. */
    protected abstract void run(StageRunner runner, Log log) throws Exception;

    /** The published output directory of a stage of this project. */
    protected Path stageDir(String stageName) {
        return outputDirectory.toPath().resolve(stageName);
    }
}
