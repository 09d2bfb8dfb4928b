package dev.lyrics.cache;

import dev.lyrics.core.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A shared store of cache entries on plain HTTP: {@code GET <url>/<key>.tar} restores an entry, a
 * PUT of the same name stores one. Any server that answers GET/HEAD/PUT will do (Nexus raw,
 * Artifactory generic, nginx or Apache with WebDAV); with {@code webdav} on, an upload goes to a
 * temporary name first and is then MOVEd into place, so a reader never sees half an entry even on a
 * server whose PUT is not atomic. Entries are addressed by content, so two builds pushing one key
 * at once push the same bytes and both succeed.
 *
 * <p>The remote is an optimisation: every failure is a {@link Failure} the stage runner turns into
 * one warning. After a failure of the server itself (unreachable, silent, refusing the credentials,
 * an error status) the remote is off for the rest of the build, so a dead server costs one timeout,
 * not one per stage. One instance serves a whole build (the mojo layer keeps it in the session).
 */
public final class RemoteCache {
    /**
     * Where the store is and how to talk to it. {@code password} is never logged, keyed or written:
     * {@link #toString()} leaves it out.
     *
     * @param serverId       the settings.xml server the credentials came from, named in warnings; null without credentials
     * @param timeout        the longest the server may stay silent during a request (no answer, no bytes moving)
     */
    public record Config(URI url, boolean push, boolean webdav, String serverId, String username, String password,
            Duration connectTimeout, Duration timeout) {
        @Override
        public String toString() {
            return "RemoteCache.Config[url=" + url + ", push=" + push + ", webdav=" + webdav + ", serverId=" + serverId
                    + ", connectTimeout=" + connectTimeout + ", timeout=" + timeout + "]";
        }

        /** Checks the URL as a user typed it: http(s), no credentials in it, no query. */
        public static URI parseUrl(String property, String url) {
            URI uri;
            try {
                uri = new URI(url.trim());
            } catch (URISyntaxException e) {
                throw ConfigException.of(property, url, "not a URL (" + e.getReason() + ")");
            }
            ConfigException.require("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()), property,
                    uri.getScheme() + "://...", "must be an http:// or https:// URL");
            if (uri.getRawUserInfo() != null) {
                // the value is not repeated: it holds a password
                throw new ConfigException("parameter " + property + " holds credentials: put them in a <server> of"
                        + " settings.xml and name its id with -Dlyrics.cache.remote.serverId=...");
            }
            ConfigException.require(uri.getHost() != null && uri.getRawQuery() == null && uri.getRawFragment() == null,
                    property, url, "must be a plain URL of a directory on the server, without query or fragment");
            String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
            return URI.create(uri.getScheme() + "://" + uri.getRawAuthority() + path);
        }
    }

    /** The server could not be used; the message names the server (never the password) and says why. */
    public static final class Failure extends IOException {
        Failure(String message) {
            super(message);
        }
    }

    private final Config config;
    private final HttpClient client;
    private volatile String disabledBecause;
    private volatile boolean pushDisabled;
    private volatile boolean moveUnsupported;

    public RemoteCache(Config config) {
        this.config = config;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    public Config config() {
        return config;
    }

    /** The store's URL and, with credentials, the server id they came from. */
    public String describe() {
        return "remote cache " + config.url() + (config.serverId() == null ? "" : " (server " + config.serverId() + ")");
    }

    /** Whether lookups still go to the server; false after a failure of the server itself. */
    boolean usable() {
        return disabledBecause == null;
    }

    /** Whether computed entries are uploaded: push is on and no upload has failed in this build. */
    boolean pushing() {
        return config.push() && usable() && !pushDisabled;
    }

    /**
     * Downloads {@code key}'s archive into {@code archive}.
     *
     * @return the bytes downloaded, or -1 when the store has no such entry
     */
    long download(String key, Path archive) throws Failure {
        try {
            Activity activity = new Activity();
            HttpResponse<Path> response = exchange(request(entryUri(key)).GET().build(),
                    info -> watched(info.statusCode() == 200
                            ? HttpResponse.BodySubscribers.ofFile(archive)
                            : HttpResponse.BodySubscribers.replacing(null), activity),
                    activity, "GET");
            if (response.statusCode() == 404 || response.statusCode() == 410) {
                return -1;
            }
            if (response.statusCode() != 200) {
                throw serverFailure("GET", response.statusCode());
            }
            return Files.size(archive);
        } catch (Failure e) {
            disabledBecause = e.getMessage();
            throw e;
        } catch (IOException e) {
            throw new Failure(describe() + ": could not save the download (" + e + ")");
        }
    }

    /**
     * Stores {@code archive} as {@code key}'s entry, unless the store has it already.
     *
     * @return the bytes uploaded, 0 when the entry was there
     */
    long upload(String key, Path archive) throws Failure {
        try {
            int head = exchange(request(entryUri(key)).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                    discarding(), new Activity(), "HEAD").statusCode();
            if (head == 200) {
                return 0;
            }
            if (head != 404 && head != 410) {
                throw serverFailure("HEAD", head);
            }
            if (config.webdav() && !moveUnsupported) {
                URI temporary = config.url().resolve(config.url().getRawPath() + "/" + key + ".tar." + UUID.randomUUID() + ".part");
                put(temporary, archive);
                int moved = exchange(request(temporary)
                        .method("MOVE", HttpRequest.BodyPublishers.noBody())
                        .header("Destination", entryUri(key).toString())
                        .header("Overwrite", "T")
                        .build(), discarding(), new Activity(), "MOVE").statusCode();
                if (moved / 100 == 2) {
                    return Files.size(archive);
                }
                deleteQuietly(temporary);
                if (moved != 405 && moved != 501 && moved != 400) {
                    throw serverFailure("MOVE", moved);
                }
                // a store without WebDAV: its PUT is the atomic step
                moveUnsupported = true;
            }
            put(entryUri(key), archive);
            return Files.size(archive);
        } catch (Failure e) {
            pushDisabled = true;
            throw e;
        } catch (IOException e) {
            pushDisabled = true;
            throw new Failure(describe() + ": could not read the archive to upload (" + e + ")");
        }
    }

    private void put(URI uri, Path archive) throws IOException {
        Activity activity = new Activity();
        long size = Files.size(archive);
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(() -> activity.counting(archive)), size);
        int status = exchange(request(uri).PUT(body).build(), discarding(), activity, "PUT").statusCode();
        if (status / 100 != 2) {
            throw serverFailure("PUT", status);
        }
    }

    private void deleteQuietly(URI uri) {
        try {
            exchange(request(uri).DELETE().build(), discarding(), new Activity(), "DELETE");
        } catch (Failure ignored) {
            // a stray temporary file on the server is harmless: it is never read as an entry
        }
    }

    private URI entryUri(String key) {
        return URI.create(config.url() + "/" + key + ".tar");
    }

    private HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri);
        if (config.username() != null) {
            String pair = config.username() + ":" + (config.password() == null ? "" : config.password());
            builder.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
        }
        return builder;
    }

    private Failure serverFailure(String method, int status) {
        if (status == 401 || status == 403) {
            return new Failure(describe() + " refused " + method + " (HTTP " + status + "): "
                    + (config.serverId() == null
                            ? "it needs credentials; name a settings.xml <server> with -Dlyrics.cache.remote.serverId=..."
                            : "check the username and password of <server> " + config.serverId() + " in settings.xml"));
        }
        return new Failure(describe() + " answered HTTP " + status + " to " + method);
    }

    /**
     * Sends a request and waits while bytes move in either direction; a server silent for longer
     * than the timeout (no answer, or a body that stalls) is given up on.
     */
    private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler, Activity activity,
            String method) throws Failure {
        activity.touch();
        CompletableFuture<HttpResponse<T>> future = client.sendAsync(request, handler);
        while (true) {
            try {
                return future.get(100, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                if (activity.silentNanos() > config.timeout().toNanos()) {
                    future.cancel(true);
                    throw new Failure(describe() + " was silent for " + config.timeout().toSeconds() + " s during "
                            + method + " (lyrics.cache.remote.timeoutSeconds)");
                }
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof HttpConnectTimeoutException) {
                    throw new Failure(describe() + " did not accept a connection within "
                            + config.connectTimeout().toSeconds() + " s (lyrics.cache.remote.connectTimeoutSeconds)");
                }
                if (cause instanceof ConnectException) {
                    throw new Failure(describe() + " is unreachable (connection refused)");
                }
                throw new Failure(describe() + ": " + method + " failed (" + cause + ")");
            } catch (InterruptedException e) {
                future.cancel(true);
                Thread.currentThread().interrupt();
                throw new Failure(describe() + ": " + method + " interrupted");
            }
        }
    }

    private static <T> HttpResponse.BodyHandler<T> discarding() {
        return info -> HttpResponse.BodySubscribers.replacing(null);
    }

    /** Marks the activity on every chunk of a response body, so a slow but moving download is not cut off. */
    private static <T> HttpResponse.BodySubscriber<T> watched(HttpResponse.BodySubscriber<T> inner, Activity activity) {
        activity.touch();
        return new HttpResponse.BodySubscriber<>() {
            @Override
            public CompletionStage<T> getBody() {
                return inner.getBody();
            }

            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                inner.onSubscribe(subscription);
            }

            @Override
            public void onNext(List<ByteBuffer> item) {
                activity.touch();
                inner.onNext(item);
            }

            @Override
            public void onError(Throwable throwable) {
                inner.onError(throwable);
            }

            @Override
            public void onComplete() {
                inner.onComplete();
            }
        };
    }

    /** When bytes last moved in an exchange. */
    private static final class Activity {
        private volatile long last = System.nanoTime();

        void touch() {
            last = System.nanoTime();
        }

        long silentNanos() {
            return System.nanoTime() - last;
        }

        /** The file as a stream that marks activity on every read, for uploads. */
        InputStream counting(Path file) {
            try {
                return new java.io.FilterInputStream(Files.newInputStream(file)) {
                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        touch();
                        return super.read(b, off, len);
                    }
                };
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
