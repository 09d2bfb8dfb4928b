package dev.lyrics.report;

import java.util.Locale;
import java.util.regex.Pattern;
import org.jsoup.nodes.Element;

/** The page's building blocks: tables whose numeric cells align right, figures as the page prints them. */
final class Html {
    private static final Pattern NUMBER = Pattern.compile("-?[0-9][0-9.,]*%?");

    private Html() {}

    static Element table(Element parent, String... headers) {
        Element table = parent.appendElement("table");
        Element head = table.appendElement("thead").appendElement("tr");
        for (String header : headers) {
            head.appendElement("th").text(header);
        }
        table.appendElement("tbody");
        return table;
    }

    static Element row(Element table, String... cells) {
        Element tr = table.selectFirst("tbody").appendElement("tr");
        for (String cell : cells) {
            Element td = tr.appendElement("td").text(cell);
            if (NUMBER.matcher(cell).matches()) {
                td.addClass("num");
            }
        }
        return tr;
    }

    /** A section made without its stage's outputs. */
    static void notRun(Element section, String missing, String goal) {
        section.addClass("not-run");
        section.appendElement("p").addClass("not-run").text("Not run: " + missing + " is absent (" + goal + " writes it).");
    }

    /** A count with thousands separators; "-" when absent. */
    static String integer(Long value) {
        return value == null ? "-" : String.format(Locale.ROOT, "%,d", value);
    }

    /** A share as a percentage to 2 places; "-" when absent. */
    static String percent(Double value) {
        return value == null ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * value);
    }

    static String decimal(double value, int places) {
        return String.format(Locale.ROOT, "%." + places + "f", value);
    }
}
