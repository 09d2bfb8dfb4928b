package dev.lyrics.eval;

import dev.lyrics.core.Files2;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * The gate's checks as a JUnit XML report (surefire's TEST-*.xml shape), so Jenkins and GitLab show
 * a perplexity regression as a failed test. Each check is a test case; no timestamps, so the same
 * verdict gives the same bytes.
 */
public final class JUnitReport {
    public static final String FILE_NAME = "TEST-lyrics-perplexity.xml";
    static final String SUITE = "lyrics-perplexity";

    private JUnitReport() {}

    public static void write(Path file, List<GateCheck> checks) throws IOException {
        Files2.writeAtomically(file, render(checks));
    }

    static byte[] render(List<GateCheck> checks) {
        try {
            Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().newDocument();
            Element suite = doc.createElement("testsuite");
            suite.setAttribute("name", SUITE);
            suite.setAttribute("tests", Integer.toString(checks.size()));
            suite.setAttribute("failures", Long.toString(count(checks, GateCheck.Outcome.FAILED)));
            suite.setAttribute("errors", "0");
            suite.setAttribute("skipped", Long.toString(count(checks, GateCheck.Outcome.SKIPPED)));
            suite.setAttribute("time", "0");
            doc.appendChild(suite);
            for (GateCheck check : checks) {
                Element testcase = doc.createElement("testcase");
                testcase.setAttribute("classname", "lyrics.perplexity." + check.check());
                testcase.setAttribute("name", check.testName());
                testcase.setAttribute("time", "0");
                switch (check.outcome()) {
                    case FAILED -> {
                        Element failure = doc.createElement("failure");
                        failure.setAttribute("message", check.message());
                        failure.setAttribute("type", "dev.lyrics.core.GateException");
                        failure.setTextContent(check.message());
                        testcase.appendChild(failure);
                    }
                    case SKIPPED -> {
                        Element skipped = doc.createElement("skipped");
                        skipped.setAttribute("message", check.message());
                        testcase.appendChild(skipped);
                    }
                    case PASSED, IMPROVED, ACCEPTED -> {
                        Element out = doc.createElement("system-out");
                        out.setTextContent(check.message());
                        testcase.appendChild(out);
                    }
                }
                suite.appendChild(testcase);
            }
            Transformer transformer = TransformerFactory.newInstance().newTransformer();
            transformer.setOutputProperty(OutputKeys.INDENT, "yes");
            transformer.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
            transformer.setOutputProperty("{http://xml.apache.org/xslt}indent-amount", "2");
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            transformer.transform(new DOMSource(doc), new StreamResult(bytes));
            return bytes.toByteArray();
        } catch (ParserConfigurationException | TransformerException e) {
            throw new IllegalStateException("the JDK's XML support failed", e);
        }
    }

    private static long count(List<GateCheck> checks, GateCheck.Outcome outcome) {
        return checks.stream().filter(c -> c.outcome() == outcome).count();
    }
}
