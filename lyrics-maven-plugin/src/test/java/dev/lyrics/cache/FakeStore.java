package dev.lyrics.cache;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;

/**
 * An in-process HTTP store for the remote cache's tests: GET/HEAD/PUT/DELETE and WebDAV's MOVE on
 * an in-memory map, basic auth, and the faults a real server shows: an error status, silence,
 * bytes changed on the way. A PUT is stored only once its whole body has arrived, as nginx does.
 */
final class FakeStore implements AutoCloseable {
    final Map<String, byte[]> files = new ConcurrentHashMap<>();
    final List<String> requests = new CopyOnWriteArrayList<>();
    private final HttpServer server;
    private final String expectedAuthorization;
    private final CountDownLatch closing = new CountDownLatch(1);

    /** Every request answered with this status instead, when set. */
    volatile Integer forcedStatus;
    /** Every PUT answered with this status instead, when set. */
    volatile Integer putStatus;
    /** Requests never answered, when set. */
    volatile boolean silent;
    /** MOVE answered 405, as a store without WebDAV does. */
    volatile boolean noMove;
    /** What a GET of a stored file serves instead of its bytes. */
    volatile UnaryOperator<byte[]> tamper = UnaryOperator.identity();

    FakeStore(String username, String password) throws IOException {
        expectedAuthorization = username == null ? null
                : "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", this::handle);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/cache");
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            requests.add(method + " " + path);
            if (silent) {
                closing.await();
                return;
            }
            if (forcedStatus != null) {
                exchange.sendResponseHeaders(forcedStatus, -1);
                return;
            }
            if (expectedAuthorization != null
                    && !expectedAuthorization.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                exchange.sendResponseHeaders(401, -1);
                return;
            }
            switch (method) {
                case "GET", "HEAD" -> {
                    byte[] body = files.get(path);
                    if (body == null) {
                        exchange.sendResponseHeaders(404, -1);
                    } else if (method.equals("HEAD")) {
                        exchange.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
                        exchange.sendResponseHeaders(200, -1);
                    } else {
                        byte[] served = tamper.apply(body.clone());
                        exchange.sendResponseHeaders(200, served.length);
                        try (OutputStream out = exchange.getResponseBody()) {
                            out.write(served);
                        }
                    }
                }
                case "PUT" -> {
                    if (putStatus != null) {
                        exchange.sendResponseHeaders(putStatus, -1);
                        return;
                    }
                    byte[] body;
                    try (InputStream in = exchange.getRequestBody()) {
                        body = in.readAllBytes();
                    }
                    boolean existed = files.put(path, body) != null;
                    exchange.sendResponseHeaders(existed ? 204 : 201, -1);
                }
                case "DELETE" -> exchange.sendResponseHeaders(files.remove(path) == null ? 404 : 204, -1);
                case "MOVE" -> {
                    if (noMove) {
                        exchange.sendResponseHeaders(405, -1);
                        return;
                    }
                    String destination = URI.create(exchange.getRequestHeaders().getFirst("Destination")).getPath();
                    byte[] body = files.remove(path);
                    if (body == null) {
                        exchange.sendResponseHeaders(404, -1);
                        return;
                    }
                    boolean existed = files.put(destination, body) != null;
                    exchange.sendResponseHeaders(existed ? 204 : 201, -1);
                }
                default -> exchange.sendResponseHeaders(405, -1);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The stored entry archives, by file name. */
    Map<String, byte[]> entries() {
        Map<String, byte[]> out = new java.util.TreeMap<>();
        files.forEach((path, body) -> {
            if (path.endsWith(".tar")) {
                out.put(path.substring(path.lastIndexOf('/') + 1), body);
            }
        });
        return out;
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
    }
}
