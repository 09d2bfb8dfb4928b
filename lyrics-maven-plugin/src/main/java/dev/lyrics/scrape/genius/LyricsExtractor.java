package dev.lyrics.scrape.genius;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.select.Elements;

/**
 * Lyrics from a Genius song page, in every structure Genius has used: the text of each lyrics
 * container in document order, lines as the page shows them. Section headers ("[Verse 1: JAY-Z]")
 * are kept, as the study kept them; what Genius marks as not part of the lyrics (headers,
 * contributors, ads) is dropped; placeholder pages give a skip reason instead of lyrics.
 */
public final class LyricsExtractor {
    /** Lyrics, or the reason a page has none. Exactly one of the two is set. */
    public record Extraction(String lyrics, String skipReason) {
        static Extraction of(String lyrics) {
            return new Extraction(lyrics, null);
        }

        static Extraction skipped(String reason) {
            return new Extraction(null, reason);
        }
    }

    /** 2020-2021 pages: styled-components classes such as "Lyrics__Container-sc-1ynbvzw-6". */
    private static final Pattern STYLED_CONTAINER_CLASS = Pattern.compile("(^|\\s)Lyrics__Container(-\\S*)?(\\s|$)");
    private static final Pattern INSTRUMENTAL = Pattern.compile("(?i)^\\[?\\s*instrumental\\s*]?$|this song is an instrumental");
    private static final Pattern NOT_TRANSCRIBED = Pattern.compile("(?i)lyrics for this song have yet to be (transcribed|released)");
    /** The related-songs widget, whose text some pages glue to the lyric lines around it. */
    private static final Pattern YOU_MIGHT_ALSO_LIKE = Pattern.compile("You might also like");
    /** The embed counter ("123Embed") that ends the last container's text. */
    private static final Pattern TRAILING_EMBED = Pattern.compile("\\d*Embed$");
    /** Whitespace that HTML collapses; the no-break space is kept for now and made plain later. */
    private static final Pattern COLLAPSIBLE_SPACE = Pattern.compile("[ \\t\\r\\n\\f]+");
    private static final Pattern ODD_SPACE = Pattern.compile("[\\u00a0\\u2007\\u202f\\u2000-\\u200a]");
    private static final Pattern ZERO_WIDTH = Pattern.compile("[\\u200b\\u200c\\u200d\\u2060\\ufeff]");
    private static final Pattern SPACE_RUN = Pattern.compile(" {2,}");
    private static final Pattern EXTRA_BLANK_LINES = Pattern.compile("\n{3,}");

    private LyricsExtractor() {}

    public static Extraction extract(String html) {
        Document page = Jsoup.parse(html);
        List<Element> containers = containers(page);
        if (containers.isEmpty()) {
            Extraction placeholder = placeholder(page.body() == null ? "" : page.body().text());
            return placeholder != null ? placeholder : Extraction.skipped("no-lyrics-container");
        }
        StringBuilder raw = new StringBuilder();
        for (Element container : containers) {
            if (!raw.isEmpty()) {
                raw.append('\n');
            }
            appendText(container, raw);
        }
        String lyrics = tidy(raw.toString());
        if (lyrics.isEmpty()) {
            return Extraction.skipped("no-lyrics");
        }
        Extraction placeholder = lyrics.length() < 200 ? placeholder(lyrics) : null;
        return placeholder != null ? placeholder : Extraction.of(lyrics);
    }

    /** The lyrics containers in document order: by data attribute (2021 on), else the older markups. */
    private static List<Element> containers(Document page) {
        Elements found = page.select("[data-lyrics-container=true]");
        if (found.isEmpty()) {
            found = page.select("div.lyrics");
        }
        if (found.isEmpty()) {
            found = page.getElementsByAttributeValueMatching("class", STYLED_CONTAINER_CLASS);
        }
        List<Element> outermost = new ArrayList<>();
        for (Element element : found) {
            if (element.parents().stream().noneMatch(found::contains)) {
                outermost.add(element);
            }
        }
        return outermost;
    }

    private static Extraction placeholder(String text) {
        String trimmed = text.strip();
        if (NOT_TRANSCRIBED.matcher(trimmed).find()) {
            return Extraction.skipped("not-transcribed");
        }
        if (INSTRUMENTAL.matcher(trimmed).find()) {
            return Extraction.skipped("instrumental");
        }
        return null;
    }

    /**
     * Text as a browser lays it out: source whitespace collapses, {@code <br>} and block edges break
     * lines, inline markup (annotation links, italics, split headers) adds nothing.
     */
    private static void appendText(Element element, StringBuilder out) {
        for (Node child : element.childNodes()) {
            if (child instanceof TextNode text) {
                out.append(COLLAPSIBLE_SPACE.matcher(text.getWholeText()).replaceAll(" "));
            } else if (child instanceof Element inner) {
                String tag = inner.normalName();
                if (inner.hasAttr("data-exclude-from-selection") || tag.equals("script") || tag.equals("style")) {
                    continue;
                }
                if (tag.equals("br")) {
                    out.append('\n');
                    continue;
                }
                boolean block = inner.isBlock();
                if (block) {
                    breakLine(out);
                }
                appendText(inner, out);
                if (block) {
                    breakLine(out);
                }
            }
        }
    }

    private static void breakLine(StringBuilder out) {
        if (!out.isEmpty() && out.charAt(out.length() - 1) != '\n') {
            out.append('\n');
        }
    }

    /**
     * Plain spaces, trimmed lines, the related-songs widget's text dropped (a line of its own, or
     * glued between two lyric lines), at most one blank line in a row, no trailing embed counter.
     */
    static String tidy(String raw) {
        String text = ZERO_WIDTH.matcher(ODD_SPACE.matcher(raw).replaceAll(" ")).replaceAll("");
        StringBuilder out = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            String[] parts = YOU_MIGHT_ALSO_LIKE.split(line, -1);
            boolean widget = parts.length > 1;
            for (String part : parts) {
                String tidied = SPACE_RUN.matcher(part.strip()).replaceAll(" ");
                if (!widget || !tidied.isEmpty()) {
                    out.append(tidied).append('\n');
                }
            }
        }
        text = EXTRA_BLANK_LINES.matcher(out.toString().strip()).replaceAll("\n\n");
        return TRAILING_EMBED.matcher(text).replaceFirst("").strip();
    }

    /** A key under which two renderings of the same lyrics compare equal. */
    static String comparable(String lyrics) {
        return lyrics.toLowerCase(Locale.ROOT).replaceAll("\\s+", " ").strip();
    }
}
