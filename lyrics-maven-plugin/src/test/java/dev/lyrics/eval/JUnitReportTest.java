package dev.lyrics.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class JUnitReportTest {
    private static final List<GateCheck> CHECKS = List.of(
            new GateCheck("maxPerplexity", "finetuned", "corpus_perplexity", 7.2, 8, GateCheck.Outcome.PASSED, "fine"),
            new GateCheck("baseline", "finetuned", "corpus_perplexity", 7.5, 7.344, GateCheck.Outcome.FAILED,
                    "finetuned corpus_perplexity regressed: 7.5 > 7.344 <&> \"quoted\""),
            new GateCheck("baseline", "rnn-gru-char", "bits_per_byte", 2.1, Double.NaN, GateCheck.Outcome.SKIPPED, "not in the baseline"));

    @Test
    void isWellFormedJUnitXmlWithAFailureElementPerFailedCheck() throws Exception {
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(JUnitReport.render(CHECKS)));
        Element suite = doc.getDocumentElement();
        assertEquals("testsuite", suite.getTagName());
        assertEquals("3", suite.getAttribute("tests"));
        assertEquals("1", suite.getAttribute("failures"));
        assertEquals("1", suite.getAttribute("skipped"));
        NodeList cases = suite.getElementsByTagName("testcase");
        assertEquals(3, cases.getLength());
        Element failed = (Element) cases.item(1);
        assertEquals("lyrics.perplexity.baseline", failed.getAttribute("classname"));
        assertEquals("baseline finetuned corpus_perplexity", failed.getAttribute("name"));
        Element failure = (Element) failed.getElementsByTagName("failure").item(0);
        assertEquals("finetuned corpus_perplexity regressed: 7.5 > 7.344 <&> \"quoted\"", failure.getAttribute("message"));
        assertEquals(1, ((Element) cases.item(2)).getElementsByTagName("skipped").getLength());
        assertEquals(0, ((Element) cases.item(0)).getElementsByTagName("failure").getLength());
    }

    /**
     * The whole file, written out by hand from surefire's TEST-*.xml shape: no timestamp or host name
     * anywhere, so the same verdict gives the same bytes; markup characters escaped in attributes and text.
     */
    @Test
    void rendersExactlyTheHandWrittenReport() {
        String expected = """
                <?xml version="1.0" encoding="UTF-8" standalone="no"?>
                <testsuite errors="0" failures="1" name="lyrics-perplexity" skipped="1" tests="3" time="0">
                  <testcase classname="lyrics.perplexity.maxPerplexity" name="maxPerplexity finetuned corpus_perplexity" time="0">
                    <system-out>fine</system-out>
                  </testcase>
                  <testcase classname="lyrics.perplexity.baseline" name="baseline finetuned corpus_perplexity" time="0">
                    <failure message="finetuned corpus_perplexity regressed: 7.5 &gt; 7.344 &lt;&amp;&gt; &quot;quoted&quot;" \
                type="dev.lyrics.core.GateException">finetuned corpus_perplexity regressed: 7.5 &gt; 7.344 &lt;&amp;&gt; "quoted"</failure>
                  </testcase>
                  <testcase classname="lyrics.perplexity.baseline" name="baseline rnn-gru-char bits_per_byte" time="0">
                    <skipped message="not in the baseline"/>
                  </testcase>
                </testsuite>
                """;
        assertEquals(expected, new String(JUnitReport.render(CHECKS), StandardCharsets.UTF_8));
    }

    @Test
    void readsBackEachCaseWithItsVerdictAndMessage(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve(JUnitReport.FILE_NAME);
        JUnitReport.write(file, CHECKS);
        assertEquals(List.of(
                new JUnitReport.TestCase("maxPerplexity finetuned corpus_perplexity", JUnitReport.Verdict.PASSED, "fine"),
                new JUnitReport.TestCase("baseline finetuned corpus_perplexity", JUnitReport.Verdict.FAILED,
                        "finetuned corpus_perplexity regressed: 7.5 > 7.344 <&> \"quoted\""),
                new JUnitReport.TestCase("baseline rnn-gru-char bits_per_byte", JUnitReport.Verdict.SKIPPED, "not in the baseline")),
                JUnitReport.read(file));
    }

    @Test
    void aFileThatIsNoReportIsNamedInTheError(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve(JUnitReport.FILE_NAME);
        java.nio.file.Files.writeString(file, "<testsuites/>");
        dev.lyrics.core.InputException e = org.junit.jupiter.api.Assertions.assertThrows(dev.lyrics.core.InputException.class,
                () -> JUnitReport.read(file));
        assertEquals(file + ": no <testsuite> element", e.getMessage());
    }
}
