package dev.lyrics.dataset;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.core.Utf8Files;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** One Alpaca example as the study wrote them: the output is the song's lyrics. */
public record AlpacaRecord(String instruction, String input, String output) {
    /**
     * Reads a JSON array of records (train.json, test.json).
     *
     * @param parameter the property that chose the file, named in errors (null when none did)
     */
    public static List<AlpacaRecord> readAll(Path file, String parameter) throws IOException {
        List<AlpacaRecord> records;
        String text = Utf8Files.read(file, parameter);
        try {
            records = Json.MAPPER.readValue(text, new TypeReference<List<AlpacaRecord>>() {});
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw InputException.at(file, "not a JSON array of Alpaca records {instruction, input, output}: "
                    + e.getOriginalMessage());
        }
        for (int i = 0; i < records.size(); i++) {
            AlpacaRecord record = records.get(i);
            if (record == null || record.instruction() == null || record.input() == null || record.output() == null) {
                throw InputException.at(file, "record " + i + " lacks instruction, input or output");
            }
        }
        return records;
    }
}
