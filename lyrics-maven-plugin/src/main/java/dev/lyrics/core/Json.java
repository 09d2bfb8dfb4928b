package dev.lyrics.core;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The project's one JSON configuration: keys written in sorted order, pretty printed with "\n"
 * line ends, so every JSON file the build writes is byte-for-byte reproducible.
 */
public final class Json {
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
            .build();

    private static final DefaultPrettyPrinter PRETTY = new DefaultPrettyPrinter()
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n"));

    private Json() {}

    /** Pretty, key-sorted JSON text ending in a newline. */
    public static String pretty(Object value) {
        try {
            return MAPPER.writer(PRETTY).writeValueAsString(value) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One-line, key-sorted JSON (for JSON-lines files and canonical hashing). */
    public static String compact(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes pretty JSON atomically (temporary file, then rename). */
    /** A JSON file's tree; a file that is not JSON fails naming it and where the parser stopped. */
    public static JsonNode readTree(Path file) throws IOException {
        try {
            return MAPPER.readTree(file.toFile());
        } catch (JacksonException e) {
            throw InputException.at(file, "not JSON: " + e.getOriginalMessage());
        }
    }

    public static void write(Path file, Object value) throws IOException {
        Files2.writeAtomically(file, pretty(value));
    }

    public static void write(OutputStream out, Object value) throws IOException {
        MAPPER.writer(PRETTY).writeValue(out, value);
    }
}
