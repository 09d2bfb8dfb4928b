package dev.lyrics.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.dataset.AlpacaRecord;
import dev.lyrics.dataset.PromptTemplate;
import dev.lyrics.core.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Mistral-7B-Instruct-v0.3's tokenizer through the project: mistral-v3/tokenizer.json is converted
 * from Mistral's v3 SentencePiece model (src/test/fixtures-src/mistral/convert_tokenizer.py) and
 * sentencepiece-ids.json holds the ids the sentencepiece package itself gives for the embedded test
 * split rendered with the study's template and for a torture list (tokenizer_ids.py).
 */
class MistralTokenizerTest {
    static Path resource(String name) throws Exception {
        return Path.of(MistralTokenizerTest.class.getResource("mistral-v3/" + name).toURI());
    }

    static long[] ids(JsonNode node) {
        long[] ids = new long[node.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = node.get(i).asLong();
        }
        return ids;
    }

    @Test
    void givesSentencePiecesIdsForTheTestSplitAndTheTortureListAndDecodesBack() throws Exception {
        JsonNode fixture = Json.MAPPER.readTree(resource("sentencepiece-ids.json").toFile());
        assertEquals(PromptTemplate.STUDY, fixture.get("template").asText());
        PromptTemplate template = new PromptTemplate(PromptTemplate.STUDY);
        List<String> wrong = new ArrayList<>();
        int records = 0;
        try (HfTokenizer tokenizer = HfTokenizer.load(resource("tokenizer.json"))) {
            assertEquals(32768, tokenizer.vocabSize());
            assertEquals(1, tokenizer.addedTokenId("<s>"));
            assertEquals(2, tokenizer.addedTokenId("</s>"));
            for (JsonNode entry : fixture.get("texts")) {
                String text = entry.get("text").asText();
                JsonNode record = entry.get("record");
                if (record != null) {
                    records++;
                    AlpacaRecord alpaca = new AlpacaRecord(record.get("instruction").asText(),
                            record.get("input").asText(), record.get("output").asText());
                    assertEquals(text, template.render(alpaca).text(), entry.get("name").asText());
                }
                HfTokenizer.Encoded encoded = tokenizer.encode(text);
                if (!java.util.Arrays.equals(ids(entry.get("ids")), encoded.ids())) {
                    wrong.add(entry.get("name").asText());
                    continue;
                }
                if (entry.get("decodes").asBoolean()) {
                    assertEquals(text, tokenizer.decode(encoded.ids()), entry.get("name").asText());
                }
                int previous = 0;
                for (int end : encoded.charEnds()) {
                    assertTrue(end >= previous && end <= text.length(), "char ends of " + entry.get("name"));
                    previous = end;
                }
                if (!text.isEmpty()) {
                    assertEquals(text.length(), encoded.charEnds()[encoded.charEnds().length - 1], entry.get("name").asText());
                }
            }
        }
        assertEquals(List.of(), wrong, "texts whose ids differ from SentencePiece's");
        assertEquals(30, records);
    }

    @Test
    void theFirstTokenOfATextCarriesMistralsPrefixSpaceAndItsCharEndsPointIntoTheText() throws Exception {
        try (HfTokenizer tokenizer = HfTokenizer.load(resource("tokenizer.json"))) {
            HfTokenizer.Encoded below = tokenizer.encode("Below are");
            // "▁Below", "▁are": the dummy prefix is on the first word, spans end inside the text
            assertArrayEquals(new int[] {5, 9}, below.charEnds());
            HfTokenizer.Encoded leading = tokenizer.encode(" leading");
            assertEquals(2, leading.ids().length, "SentencePiece: ▁ then ▁leading");
            assertArrayEquals(new int[] {0, 8}, leading.charEnds());
            assertEquals(0, tokenizer.encode("").ids().length);
        }
    }
}
