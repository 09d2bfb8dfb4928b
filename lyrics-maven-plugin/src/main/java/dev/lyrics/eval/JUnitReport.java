package dev.lyrics.eval;

import dev.lyrics.core.Files2;
import dev.lyrics.core.InputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
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
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

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

    /** One test case as the report file holds it. */
    public record TestCase(String name, Verdict verdict, String message) {}

    /** A test case's verdict: passed (improved and accepted included), failed or skipped. */
    public enum Verdict { PASSED, FAILED, SKIPPED }

    /** The test cases of a report this class wrote, in file order. */
    public static List<TestCase> read(Path file) throws IOException {
        Document doc;
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            doc = factory.newDocumentBuilder().parse(file.toFile());
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML support failed", e);
        } catch (SAXException e) {
            throw InputException.at(file, "not a JUnit XML report: " + e.getMessage());
        }
        Element suite = doc.getDocumentElement();
        if (suite == null || !suite.getTagName().equals("testsuite")) {
            throw InputException.at(file, "no <testsuite> element");
        }
        List<TestCase> cases = new ArrayList<>();
        NodeList testcases = suite.getElementsByTagName("testcase");
        for (int i = 0; i < testcases.getLength(); i++) {
            Element testcase = (Element) testcases.item(i);
            Element failure = child(testcase, "failure");
            Element skipped = child(testcase, "skipped");
            Element out = child(testcase, "system-out");
            Verdict verdict = failure != null ? Verdict.FAILED : skipped != null ? Verdict.SKIPPED : Verdict.PASSED;
            String message = failure != null ? failure.getAttribute("message")
                    : skipped != null ? skipped.getAttribute("message")
                    : out == null ? "" : out.getTextContent().strip().replaceAll("\\s+", " ");
            cases.add(new TestCase(testcase.getAttribute("name"), verdict, message));
        }
        return List.copyOf(cases);
    }

    private static Element child(Element parent, String tag) {
        NodeList nodes = parent.getElementsByTagName(tag);
        return nodes.getLength() == 0 ? null : (Element) nodes.item(0);
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
