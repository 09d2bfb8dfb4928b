package dev.lyrics.mojo;

import dev.lyrics.cache.CacheTally;
import dev.lyrics.cache.RemoteCache;
import dev.lyrics.cache.StageIoException;
import dev.lyrics.cache.StageRunner;
import dev.lyrics.core.ConfigException;
import dev.lyrics.core.LyricsException;
import dev.lyrics.core.Log;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;
import org.apache.maven.execution.MavenSession;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;
import org.apache.maven.settings.Server;
import org.apache.maven.settings.Settings;
import org.apache.maven.settings.building.SettingsProblem;
import org.apache.maven.settings.crypto.DefaultSettingsDecryptionRequest;
import org.apache.maven.settings.crypto.SettingsDecrypter;
import org.apache.maven.settings.crypto.SettingsDecryptionResult;
import org.eclipse.aether.SessionData;

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

    /**
     * A shared cache on an HTTP server (Nexus raw, Artifactory generic, nginx or Apache WebDAV): stages
     * missing from the local cache are restored from it before they are computed. None by default.
     */
    @Parameter(property = "lyrics.cache.remote.url")
    String cacheRemoteUrl;

    /** Uploads every entry this build computes to the remote cache (for the CI job that publishes). */
    @Parameter(property = "lyrics.cache.remote.push", defaultValue = "false")
    boolean cacheRemotePush;

    /** The id of a settings.xml &lt;server&gt; whose username and password (encrypted or not) the remote cache needs. */
    @Parameter(property = "lyrics.cache.remote.serverId")
    String cacheRemoteServerId;

    /** Uploads under a temporary name and MOVEs it into place (WebDAV servers); else a PUT of the entry's own name. */
    @Parameter(property = "lyrics.cache.remote.webdav", defaultValue = "false")
    boolean cacheRemoteWebdav;

    /** How long to wait for the remote cache to accept a connection. */
    @Parameter(property = "lyrics.cache.remote.connectTimeoutSeconds", defaultValue = "5")
    int cacheRemoteConnectTimeoutSeconds;

    /** How long the remote cache may stay silent during a request before the build goes on without it. */
    @Parameter(property = "lyrics.cache.remote.timeoutSeconds", defaultValue = "30")
    int cacheRemoteTimeoutSeconds;

    /** Maven's settings, for credentials: of the remote cache, of Genius. */
    @Parameter(defaultValue = "${settings}", readonly = true)
    Settings settings;

    @Parameter(defaultValue = "${session}", readonly = true)
    MavenSession session;

    @Component
    SettingsDecrypter settingsDecrypter;

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
        StageRunner runner;
        try {
            // every goal runs core stages, each keyed by the code it reaches: no whole-plugin hash up front
            runner = new StageRunner(cacheDir.toPath(), mode, null,
                    outputDirectory.toPath().resolve("stages"), log, remoteCache(log), tally(session));
        } catch (ConfigException e) {
            throw new MojoFailureException(e.getMessage(), e);
        }
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

    /**
     * The build's one remote cache for this URL and server, kept in the session so that a server
     * found dead by one goal is not tried again by the next; null when no URL is set.
     */
    private RemoteCache remoteCache(Log log) {
        if (cacheRemoteUrl == null || cacheRemoteUrl.isBlank()) {
            return null;
        }
        ConfigException.require(cacheRemoteConnectTimeoutSeconds >= 1, "lyrics.cache.remote.connectTimeoutSeconds",
                cacheRemoteConnectTimeoutSeconds, "must be at least 1");
        ConfigException.require(cacheRemoteTimeoutSeconds >= 1, "lyrics.cache.remote.timeoutSeconds",
                cacheRemoteTimeoutSeconds, "must be at least 1");
        java.net.URI url = RemoteCache.Config.parseUrl("lyrics.cache.remote.url", cacheRemoteUrl);
        String serverId = cacheRemoteServerId == null || cacheRemoteServerId.isBlank() ? null : cacheRemoteServerId.trim();
        String sessionKey = RemoteCache.class.getName() + " " + url + " " + serverId + " " + cacheRemotePush + " "
                + cacheRemoteWebdav + " " + cacheRemoteConnectTimeoutSeconds + " " + cacheRemoteTimeoutSeconds;
        return sessionScoped(session, sessionKey, RemoteCache.class, () -> {
            String username = null;
            String password = null;
            if (serverId != null) {
                Server server = decryptedServer(serverId);
                if (server == null) {
                    log.warn("lyrics.cache.remote.serverId names " + serverId + ", which is no <server> of settings.xml:"
                            + " the remote cache is asked without credentials");
                } else {
                    username = server.getUsername();
                    password = server.getPassword();
                }
            }
            return new RemoteCache(new RemoteCache.Config(url, cacheRemotePush, cacheRemoteWebdav, serverId, username,
                    password, Duration.ofSeconds(cacheRemoteConnectTimeoutSeconds), Duration.ofSeconds(cacheRemoteTimeoutSeconds)));
        });
    }

    /** How this build's stages were answered, counted across its goals; see lyrics:cache-stats. */
    static CacheTally tally(MavenSession session) {
        return sessionScoped(session, CacheTally.class.getName(), CacheTally.class, CacheTally::new);
    }

    /** One object per build (Maven session) and key, made on first use; a fresh one without a session (tests). */
    private static <T> T sessionScoped(MavenSession session, String key, Class<T> type, Supplier<T> make) {
        if (session == null || session.getRepositorySession() == null) {
            return make.get();
        }
        SessionData data = session.getRepositorySession().getData();
        synchronized (data) {
            Object existing = data.get(key);
            if (type.isInstance(existing)) {
                return type.cast(existing);
            }
            T made = make.get();
            data.set(key, made);
            return made;
        }
    }

    /**
     * settings.xml's server {@code id} with its password decrypted as Maven decrypts it (settings-security.xml),
     * or null if there is none. Decryption problems are reported without the secret.
     */
    protected Server decryptedServer(String id) {
        Server server = settings == null ? null : settings.getServer(id);
        if (server == null) {
            return null;
        }
        SettingsDecryptionResult result = settingsDecrypter.decrypt(new DefaultSettingsDecryptionRequest(server));
        for (SettingsProblem problem : result.getProblems()) {
            getLog().warn("settings.xml <server> " + id + ": " + problem.getMessage());
        }
        return result.getServer();
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
