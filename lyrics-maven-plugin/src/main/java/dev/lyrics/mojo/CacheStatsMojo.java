package dev.lyrics.mojo;

import org.apache.maven.execution.MavenSession;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Prints how the stages of this build were answered: from the local cache, from the remote cache,
 * or computed, and the bytes moved to and from the remote. Bind it last.
 */
@Mojo(name = "cache-stats", defaultPhase = LifecyclePhase.VERIFY, threadSafe = true)
public class CacheStatsMojo extends AbstractMojo {
    @Parameter(defaultValue = "${session}", readonly = true)
    MavenSession session;

    @Override
    public void execute() {
        getLog().info(AbstractStageMojo.tally(session).summary());
    }
}
