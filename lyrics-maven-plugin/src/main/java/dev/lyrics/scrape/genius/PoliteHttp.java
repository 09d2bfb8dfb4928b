package dev.lyrics.scrape.genius;

import dev.lyrics.core.Log;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * GET requests the way a guest should make them: spaced by a minimum interval across all threads,
 * each bounded by a timeout, retried with exponential back-off and jitter on timeouts, network
 * errors, 429 and 5xx (a Retry-After holds every thread back), and given up at once where retrying
 * cannot help (401, 403).
 */
final class PoliteHttp {
    /** Waiting longer than this for a Retry-After is not a retry but a failure to report. */
    private static final Duration LONGEST_RETRY_AFTER = Duration.ofMinutes(5);
    private static final String USER_AGENT = "lyrics-maven-plugin (dev.lyrics)";

    /** A response the caller handles: 200 with its body, or 404. */
    record Response(int status, String body) {
        boolean found() {
            return status == 200;
        }
    }

    private final HttpClient client;
    private final Pacer pacer;
    private final Duration timeout;
    private final int retries;
    private final Duration backoff;
    private final Log log;

    PoliteHttp(Duration minInterval, Duration timeout, int retries, Duration backoff, Log log) {
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(timeout)
                .build();
        this.pacer = new Pacer(minInterval);
        this.timeout = timeout;
        this.retries = retries;
        this.backoff = backoff;
        this.log = log;
    }

    /**
     * Fetches a URL, with the token as bearer where given (API requests only: song pages are
     * public and must not see it).
     */
    Response get(URI uri, GeniusToken token) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("User-Agent", USER_AGENT)
                .GET();
        if (token != null) {
            request.header("Authorization", token.bearer()).header("Accept", "application/json");
        }
        for (int attempt = 0; ; attempt++) {
            pacer.awaitTurn();
            String problem;
            Duration retryAfter = null;
            try {
                HttpResponse<String> response = send(request.build());
                int status = response.statusCode();
                if (status == 200 || status == 404) {
                    return new Response(status, response.body());
                }
                if (status == 401) {
                    throw new GeniusException("Genius rejected the API token (HTTP 401 from " + uri
                            + "): check that it is current; it is read from the environment variable "
                            + GeniusToken.VARIABLE + ", a .env file beside the experiment POM, or the settings.xml server '"
                            + GeniusToken.SERVER_ID + "'");
                }
                if (status == 403 || Cloudflare.isChallenge(response)) {
                    throw Cloudflare.blocked(uri, status);
                }
                if (status != 429 && status < 500) {
                    throw new GeniusException("Genius answered HTTP " + status + " to " + uri
                            + "; check lyrics.genius.apiUrl / lyrics.genius.webUrl");
                }
                problem = "HTTP " + status;
                retryAfter = retryAfter(response);
            } catch (HttpTimeoutException e) {
                problem = "no complete response within " + timeout.toMillis() + " ms";
            } catch (IOException e) {
                problem = e.toString();
            }
            if (attempt >= retries) {
                throw new GeniusException("giving up on " + uri + " after " + (attempt + 1) + " attempts (last: "
                        + problem + "); try later, or raise lyrics.genius.retries / lyrics.genius.timeoutSeconds");
            }
            Duration wait;
            if (retryAfter != null) {
                if (retryAfter.compareTo(LONGEST_RETRY_AFTER) > 0) {
                    throw new GeniusException("Genius asks to wait " + retryAfter.toSeconds() + " s before requesting "
                            + uri + " again (" + problem + "); try later");
                }
                wait = retryAfter;
                pacer.holdFor(retryAfter);
            } else {
                wait = jitteredBackoff(attempt);
            }
            log.warn("Genius: " + problem + " from " + uri + "; retry " + (attempt + 1) + "/" + retries + " in "
                    + wait.toMillis() + " ms");
            if (retryAfter == null) {
                Thread.sleep(wait.toMillis());
            }
        }
    }

    /** Sends with the timeout on the whole exchange, body included; an interrupt cancels the request. */
    private HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        CompletableFuture<HttpResponse<String>> pending =
                client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        try {
            return pending.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            pending.cancel(true);
            throw new HttpTimeoutException("timed out");
        } catch (InterruptedException e) {
            pending.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        }
    }

    private Duration jitteredBackoff(int attempt) {
        long base = backoff.toMillis() << Math.min(attempt, 20);
        return Duration.ofMillis(base + ThreadLocalRandom.current().nextLong(base / 2 + 1));
    }

    /** Retry-After as delay-seconds or as an HTTP date; null when absent or unreadable. */
    static Duration retryAfter(HttpResponse<?> response) {
        String value = response.headers().firstValue("Retry-After").orElse(null);
        if (value == null) {
            return null;
        }
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value.strip())));
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(value.strip(), DateTimeFormatter.RFC_1123_DATE_TIME.withLocale(Locale.ROOT));
                Duration wait = Duration.between(ZonedDateTime.now(at.getZone()), at);
                return wait.isNegative() ? Duration.ZERO : wait;
            } catch (DateTimeParseException notDate) {
                return null;
            }
        }
    }

    /** Spaces request starts by a minimum interval, across threads; a hold pushes the next start back. */
    static final class Pacer {
        private final long intervalNanos;
        private long nextStart = System.nanoTime();

        Pacer(Duration interval) {
            this.intervalNanos = interval.toNanos();
        }

        void awaitTurn() throws InterruptedException {
            long wait;
            synchronized (this) {
                long now = System.nanoTime();
                long start = Math.max(now, nextStart);
                nextStart = start + intervalNanos;
                wait = start - now;
            }
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
        }

        synchronized void holdFor(Duration pause) {
            nextStart = Math.max(nextStart, System.nanoTime() + pause.toNanos());
        }
    }

    /**
     * Cloudflare in front of Genius: a 403 or a challenge page is an error to report, never a page
     * without lyrics, and retrying at once only makes it worse.
     */
    static final class Cloudflare {
        private Cloudflare() {}

        /**
         * A challenge as Cloudflare marks it, or a 503 "Just a moment..." page. (Its challenge-platform
         * script alone proves nothing: Cloudflare injects it into ordinary pages too.)
         */
        static boolean isChallenge(HttpResponse<String> response) {
            if (response.headers().firstValue("cf-mitigated").map("challenge"::equalsIgnoreCase).orElse(false)) {
                return true;
            }
            String body = response.body();
            return response.statusCode() == 503 && body != null
                    && (body.contains("Just a moment...") || body.contains("cf-browser-verification"));
        }

        static GeniusException blocked(URI uri, int status) {
            return new GeniusException("blocked by Genius (HTTP " + status + " from " + uri
                    + ", a Cloudflare challenge or ban): try later or from another network");
        }
    }
}
