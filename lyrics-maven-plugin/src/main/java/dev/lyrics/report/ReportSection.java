package dev.lyrics.report;

import java.io.IOException;
import org.jsoup.nodes.Element;

/**
 * One section of the report page, made from a stage's outputs as its typed reader gives them. A new
 * stage adds its own section; the page lists the sections it is given in order, each in the
 * navigation.
 *
 * @param id      the section's HTML id, also its anchor in the navigation
 * @param title   its heading
 * @param content what follows the heading
 */
public record ReportSection(String id, String title, Content content) {
    /** A section's content, appended below its heading. */
    @FunctionalInterface
    public interface Content {
        void fill(Element section) throws IOException;
    }

    /**
     * The content of a section whose stage outputs are absent.
     *
     * @param missing the file that is absent, relative to the outputs directory ("generate/samples.json")
     * @param goal    what writes it ("lyrics:generate")
     */
    public static Content notRun(String missing, String goal) {
        return section -> Html.notRun(section, missing, goal);
    }
}
