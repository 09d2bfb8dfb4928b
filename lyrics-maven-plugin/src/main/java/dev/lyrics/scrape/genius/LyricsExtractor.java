package dev.lyrics.scrape.genius;

import dev.lyrics.dataset.LyricWords;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
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
 * contributors, ads) is dropped; placeholder pages ("[?]", only credits, "yet to be transcribed",
 * instrumentals) give a skip reason instead of lyrics, so every song kept has words outside
 * brackets, the rule preprocess applies.
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
    /** Only bracketed text ("[?]", "[Produced by X]"): preprocess's rule, {@link LyricWords}. */
    static final String NO_WORDS_OUTSIDE_BRACKETS = "no-words-outside-brackets";

    private LyricsExtractor() {}

    public static Extraction extract(String html) {
        Document page = Jsoup.parse(html);
        List<Element> containers = containers(page);
        if (containers.isEmpty()) {
            Extraction placeholder = placeholder(page.body() == null ? "" : page.body().text());
            return placeholder != null ? placeholder : Extraction.skipped("no-lyrics-container");
        }
        Layout layout = new Layout();
        for (Element container : containers) {
            layout.startContainer();
            layout.append(container);
        }
        String lyrics = tidy(layout.text());
        Extraction placeholder = lyrics.length() < 200 ? placeholder(lyrics) : null;
        if (placeholder != null) {
            return placeholder;
        }
        if (!LyricWords.hasWordsOutsideBrackets(lyrics)) {
            // the placeholder's message may sit in a block Genius excludes from the lyrics
            placeholder = placeholder(containers.stream().map(Element::text).collect(Collectors.joining(" ")));
            if (placeholder != null) {
                return placeholder;
            }
            return Extraction.skipped(lyrics.isEmpty() ? "no-lyrics" : NO_WORDS_OUTSIDE_BRACKETS);
        }
        return Extraction.of(lyrics);
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
     * lines, inline markup (annotation links, italics, split headers) adds nothing. What Genius
     * excludes from the lyrics (the header, in-read ads) is dropped, but an excluded block that
     * stands between two lines of a container is a verse break: Genius puts its in-read ads in
     * place of the second {@code <br>} of a {@code <br><br>}, and the page shows the gap.
     */
    private static final class Layout {
        private final StringBuilder out = new StringBuilder();
        private int containerStart;
        /** An excluded block stood at a line boundary since the last text of this container. */
        private boolean breakPending;

        void startContainer() {
            if (!out.isEmpty()) {
                out.append('\n');
            }
            containerStart = out.length();
            breakPending = false;
        }

        void append(Element element) {
            for (Node child : element.childNodes()) {
                if (child instanceof TextNode text) {
                    appendText(COLLAPSIBLE_SPACE.matcher(text.getWholeText()).replaceAll(" "));
                } else if (child instanceof Element inner) {
                    String tag = inner.normalName();
                    if (tag.equals("script") || tag.equals("style")) {
                        continue;
                    }
                    boolean block = inner.isBlock();
                    if (inner.hasAttr("data-exclude-from-selection") || tag.equals("inread-ad")) {
                        breakPending |= block || endsLine();
                        continue;
                    }
                    if (tag.equals("br")) {
                        out.append('\n');
                        continue;
                    }
                    if (block) {
                        breakLine();
                    }
                    append(inner);
                    if (block) {
                        breakLine();
                    }
                }
            }
        }

        private void appendText(String text) {
            if (breakPending && !text.isBlank()) {
                breakPending = false;
                if (!out.substring(containerStart).isBlank()) {
                    breakLine();
                    out.append('\n'); // tidy() keeps one blank line where there are more
                }
            }
            out.append(text);
        }

        private boolean endsLine() {
            return out.isEmpty() || out.charAt(out.length() - 1) == '\n';
        }

        private void breakLine() {
            if (!endsLine()) {
                out.append('\n');
            }
        }

        String text() {
            return out.toString();
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
