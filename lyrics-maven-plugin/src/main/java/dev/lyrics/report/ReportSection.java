package dev.lyrics.report;

import java.io.IOException;
import org.jsoup.nodes.Element;

/**
 * One section of the report page, made from a stage's outputs as its typed reader gives them. A new
 * stage adds its own section; the page lists the sections it is given in order, each in the
 * navigation.
 */
public interface ReportSection {
    /** The section's HTML id, also its anchor in the navigation. */
    String id();

    String title();

    /** Appends the section's content below its heading. */
    void fill(Element section) throws IOException;

    /**
     * A section whose stage outputs are absent.
     *
     * @param missing the file that is absent, relative to the outputs directory ("generate/samples.json")
     * @param goal    what writes it ("lyrics:generate")
     */
    static ReportSection notRun(String id, String title, String missing, String goal) {
        return new ReportSection() {
            @Override
            public String id() {
                return id;
            }

            @Override
            public String title() {
                return title;
            }

            @Override
            public void fill(Element section) {
                Html.notRun(section, missing, goal);
            }
        };
    }
}
