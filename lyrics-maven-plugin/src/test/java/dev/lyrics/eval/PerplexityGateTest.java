package dev.lyrics.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.core.CapturingLog;
import dev.lyrics.core.GateException;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.lm.ScoredText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PerplexityGateTest {
    @TempDir
    Path dir;

    private final CapturingLog log = new CapturingLog();
    private final List<String> logged = log.lines;

    @Test
    void passesWhenEveryFigureIsWithinLimits() throws IOException {
        Path baseline = baseline(9.35, 7.20);
        List<GateCheck> checks = gate(10.0, baseline, false).check(values(9.35, 7.25), log);
        PerplexityGate.enforce(checks);
        assertTrue(checks.stream().noneMatch(GateCheck::failed));
        assertTrue(logged.contains("INFO baseline: 2 figures within 2.0% of " + baseline), logged.toString());
    }

    @Test
    void aRegressionFailsNamingModelMetricValueLimitAndHowToAccept() throws IOException {
        Path baseline = baseline(9.35, 7.20);
        List<GateCheck> checks = gate(Double.POSITIVE_INFINITY, baseline, false).check(values(9.35, 7.50), log);
        GateException e = assertThrows(GateException.class, () -> PerplexityGate.enforce(checks));
        assertEquals("perplexity gate failed (1 of 4 checks):\n  - baseline: finetuned corpus_perplexity regressed: 7.5000 is 4.17%"
                + " worse than its baseline 7.2000, above the limit 7.3440 (tolerance 2.0%, " + baseline + "); if the change is"
                + " deliberate, accept it with -Dlyrics.perplexity.updateBaseline=true and commit the file", e.getMessage());
    }

    @Test
    void aBetterFigurePassesAndSaysSo() throws IOException {
        Path baseline = baseline(9.35, 7.20);
        List<GateCheck> checks = gate(Double.POSITIVE_INFINITY, baseline, false).check(values(9.30, 6.90), log);
        PerplexityGate.enforce(checks);
        assertTrue(logged.contains("INFO baseline: finetuned corpus_perplexity 6.9000 is 4.17% better than its baseline 7.2000;"
                + " -Dlyrics.perplexity.updateBaseline=true records the gain"), logged.toString());
        assertEquals(List.of(GateCheck.Outcome.PASSED, GateCheck.Outcome.IMPROVED), checks.stream()
                .filter(c -> c.check().equals("baseline")).map(GateCheck::outcome).toList(), "base 9.30 is within 2%");
    }

    @Test
    void updateBaselineAcceptsARegressionAndRewritesTheFileSorted() throws IOException {
        Path baseline = baseline(9.35, 7.20);
        List<GateCheck> checks = gate(Double.POSITIVE_INFINITY, baseline, true).check(values(9.35, 7.654321987), log);
        PerplexityGate.enforce(checks);
        assertEquals("{\n  \"base\" : {\n    \"corpus_perplexity\" : 9.35\n  },\n  \"finetuned\" : {\n"
                + "    \"corpus_perplexity\" : 7.65432\n  }\n}\n", Files.readString(baseline));
        assertTrue(logged.stream().anyMatch(l -> l.startsWith("INFO baseline " + baseline + " rewritten")), logged.toString());
        try (var leftovers = Files.list(dir)) {
            assertEquals(List.of(baseline), leftovers.toList(), "no temporary file left beside the baseline");
        }
    }

    @Test
    void updateBaselineWritesNothingWhenAnAbsoluteCheckFails() throws IOException {
        Path baseline = baseline(9.35, 7.20);
        String before = Files.readString(baseline);
        List<GateCheck> checks = gate(7.0, baseline, true).check(values(9.35, 7.50), log);
        GateException e = assertThrows(GateException.class, () -> PerplexityGate.enforce(checks));
        assertTrue(e.getMessage().contains("maxPerplexity: finetuned corpus_perplexity 7.5000 is above the limit 7.0000;"
                + " to accept it, raise <maxPerplexity> in experiment/pom.xml or -Dlyrics.perplexity.maxPerplexity=..."), e.getMessage());
        assertTrue(e.getMessage().contains("baseline: finetuned corpus_perplexity regressed"), e.getMessage());
        assertEquals(before, Files.readString(baseline));
    }

    @Test
    void tooSmallAnImprovementFails() throws IOException {
        List<GateCheck> checks = gate(Double.POSITIVE_INFINITY, baseline(9.35, 8.50), false).check(values(9.35, 8.50), log);
        GateException e = assertThrows(GateException.class, () -> PerplexityGate.enforce(checks));
        assertEquals("perplexity gate failed (1 of 4 checks):\n  - minImprovement: finetuned corpus_perplexity 8.5000 is 9.1% below"
                + " base 9.3500, less than the required 15.0% (limit 7.9475); to accept it, lower <minImprovement> in"
                + " experiment/pom.xml or -Dlyrics.perplexity.minImprovement=...", e.getMessage());
    }

    @Test
    void aMissingBaselineFailsWithInstructionsAndUpdateBaselineCreatesIt() throws IOException {
        Path missing = dir.resolve("perplexity-baseline.json");
        List<GateCheck> checks = gate(Double.POSITIVE_INFINITY, missing, false).check(values(9.35, 7.20), log);
        GateException e = assertThrows(GateException.class, () -> PerplexityGate.enforce(checks));
        assertTrue(e.getMessage().contains(missing + " does not exist; create it from this build's figures with"
                + " -Dlyrics.perplexity.updateBaseline=true and commit it"), e.getMessage());
        assertFalse(Files.exists(missing));

        PerplexityGate.enforce(gate(Double.POSITIVE_INFINITY, missing, true).check(values(9.35, 7.20), log));
        assertEquals(Map.of("base", Map.of("corpus_perplexity", 9.35), "finetuned", Map.of("corpus_perplexity", 7.2)),
                PerplexityGate.readBaseline(missing));
    }

    @Test
    void figuresOutsideTheBaselineAreSkippedNotFailed() throws IOException {
        Path baseline = baseline(9.35, 7.20);
        SortedMap<String, SortedMap<String, Double>> values = values(9.35, 7.20);
        values.put("rnn-gru-char", new TreeMap<>(Map.of("bits_per_byte", 2.5)));
        values.get("base").put("bits_per_byte", 1.5);
        List<GateCheck> checks = gate(Double.POSITIVE_INFINITY, baseline, false).check(values, log);
        PerplexityGate.enforce(checks);
        List<String> skipped = checks.stream().filter(c -> c.outcome() == GateCheck.Outcome.SKIPPED).map(GateCheck::testName).toList();
        assertEquals(List.of("maxPerplexity finetuned corpus_perplexity", "baseline base bits_per_byte",
                "baseline rnn-gru-char bits_per_byte"), skipped);
    }

    @Test
    void nonFiniteFiguresFailNamingModelAndMetricAfterTheirRoundTripThroughPerplexityJson() throws IOException {
        // a -Infinity log-probability makes the fine-tuned figures infinite; a NaN one makes the base's NaN
        ScoreTally infinite = new ScoreTally();
        infinite.add(new TestText("a", "ab", 0, 2), new ScoredText(new double[] {-1, Double.NEGATIVE_INFINITY}, new int[] {1, 2}),
                Optional.empty());
        ScoreTally nan = new ScoreTally();
        nan.add(new TestText("a", "ab", 0, 2), new ScoredText(new double[] {-1, Double.NaN}, new int[] {1, 2}), Optional.empty());
        Path file = dir.resolve("perplexity.json");
        Json.write(file, new PerplexityResults(List.of(result("base", nan), result("finetuned", infinite)), "{output}").toJson());
        assertTrue(Files.readString(file).contains("\"value\" : \"Infinity\""), "written as itself, not as null");

        SortedMap<String, SortedMap<String, Double>> values = PerplexityResults.readValues(file);
        assertEquals(Double.POSITIVE_INFINITY, values.get("finetuned").get("corpus_perplexity"));
        assertTrue(Double.isNaN(values.get("base").get("corpus_perplexity")));
        List<GateCheck> checks = gate(10.0, baseline(9.35, 7.20), false).check(values, log);
        GateException e = assertThrows(GateException.class, () -> PerplexityGate.enforce(checks));
        assertTrue(e.getMessage().contains("finite: finetuned corpus_perplexity is Infinity, not a figure the gate can compare"),
                e.getMessage());
        assertTrue(e.getMessage().contains("finite: base corpus_perplexity is NaN"), e.getMessage());
        assertTrue(e.getMessage().contains("maxPerplexity: finetuned corpus_perplexity Infinity is above the limit"), e.getMessage());
    }

    @Test
    void baseAndFinetunedBothNaNFail() throws IOException {
        List<GateCheck> checks = gate(Double.POSITIVE_INFINITY, baseline(9.35, 7.20), false).check(values(Double.NaN, Double.NaN), log);
        GateException e = assertThrows(GateException.class, () -> PerplexityGate.enforce(checks));
        assertTrue(e.getMessage().contains("finite: base corpus_perplexity is NaN"), e.getMessage());
        assertTrue(e.getMessage().contains("finite: finetuned corpus_perplexity is NaN"), e.getMessage());
        assertTrue(e.getMessage().contains("minImprovement: finetuned corpus_perplexity NaN"), e.getMessage());
    }

    @Test
    void aBaselineModelThisBuildDidNotEvaluateFailsNamingTheSettingUnlessOptional() throws IOException {
        Path baseline = dir.resolve("perplexity-baseline.json");
        SortedMap<String, SortedMap<String, Double>> committed = values(9.35, 7.20);
        committed.put("rnn-gru-char", new TreeMap<>(Map.of("bits_per_byte", 2.5)));
        Json.write(baseline, committed);
        List<GateCheck> checks = new PerplexityGate(new PerplexityGate.Settings(Double.POSITIVE_INFINITY, 0.15, 0.02, baseline,
                false, List.of(), "finetune", List.of("rnn-lstm-*"))).check(values(9.35, 7.20), log);
        GateException e = assertThrows(GateException.class, () -> PerplexityGate.enforce(checks));
        assertTrue(e.getMessage().contains("baseline: rnn-gru-char is in " + baseline + " but this build did not evaluate it:"
                + " <recurrentStages> [rnn-lstm-*] (-Dlyrics.perplexity.recurrentStages in experiment/pom.xml)"), e.getMessage());
        assertTrue(e.getMessage().contains("-Dlyrics.perplexity.optionalModels=rnn-gru-char"), e.getMessage());

        PerplexityGate.enforce(new PerplexityGate(new PerplexityGate.Settings(Double.POSITIVE_INFINITY, 0.15, 0.02, baseline,
                false, List.of("rnn-*"), "finetune", List.of("rnn-lstm-*"))).check(values(9.35, 7.20), log));
        assertTrue(logged.stream().anyMatch(l -> l.contains("rnn-gru-char") && l.contains("left out as <optionalModels> [rnn-*] allows")),
                logged.toString());
    }

    @Test
    void aBaselineMetricMissingFromTheResultsFails() throws IOException {
        Path baseline = dir.resolve("perplexity-baseline.json");
        SortedMap<String, SortedMap<String, Double>> committed = values(9.35, 7.20);
        committed.get("base").put("word_perplexity", 120.0);
        Json.write(baseline, committed);
        List<GateCheck> checks = gate(Double.POSITIVE_INFINITY, baseline, false).check(values(9.35, 7.20), log);
        GateException e = assertThrows(GateException.class, () -> PerplexityGate.enforce(checks));
        assertTrue(e.getMessage().contains("baseline: base word_perplexity is in " + baseline
                + " but this build reports no such figure for base"), e.getMessage());
    }

    @Test
    void aMalformedBaselineFailsOnReadingNamingFileAndEntry() throws IOException {
        Path baseline = dir.resolve("perplexity-baseline.json");
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("{}", "has no entries");
        cases.put("{\"base\": 9.35}", "entry \"base\" is not an object of metric -> value");
        cases.put("{\"base\": {}}", "entry \"base\" is not an object of metric -> value");
        cases.put("{\"base\": {\"corpus_perplexty\": 9.35}}", "entry \"base\".\"corpus_perplexty\" is not a metric lyrics:perplexity reports");
        cases.put("{\"base\": {\"corpus_perplexity\": \"9.35\"}}", "entry \"base\".\"corpus_perplexity\" is \"9.35\", not a positive number");
        cases.put("{\"base\": {\"corpus_perplexity\": -1}}", "entry \"base\".\"corpus_perplexity\" is -1, not a positive number");
        cases.put("{\"base\": {\"corpus_perplexity\": null}}", "is null, not a positive number");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Files.writeString(baseline, c.getKey());
            InputException e = assertThrows(InputException.class,
                    () -> gate(Double.POSITIVE_INFINITY, baseline, true).check(values(9.35, 7.20), log), c.getKey());
            assertTrue(e.getMessage().contains(baseline.toString()) && e.getMessage().contains(c.getValue()), e.getMessage());
            assertEquals(c.getKey(), Files.readString(baseline), "updateBaseline does not paper over a malformed file");
        }
    }

    @Test
    void configuredRulesThatCannotBeCheckedFailWhenNoModelIsFinetuned() throws IOException {
        Path baseline = dir.resolve("perplexity-baseline.json");
        SortedMap<String, SortedMap<String, Double>> baseOnly = new TreeMap<>(Map.of("base", new TreeMap<>(Map.of("corpus_perplexity", 9.35))));
        Json.write(baseline, baseOnly);
        List<GateCheck> checks = new PerplexityGate(new PerplexityGate.Settings(10.0, 0.15, 0.02, baseline, false, List.of(),
                "none", List.of("none"))).check(baseOnly, log);
        GateException e = assertThrows(GateException.class, () -> PerplexityGate.enforce(checks));
        assertTrue(e.getMessage().contains("maxPerplexity: a ceiling of 10.0000 is set but the finetuned model was not evaluated"
                + " (<finetuneStage> is none"), e.getMessage());
        assertTrue(e.getMessage().contains("minImprovement: 15.0% is required but the finetuned model was not evaluated"),
                e.getMessage());

        PerplexityGate.enforce(new PerplexityGate(new PerplexityGate.Settings(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                0.02, baseline, false, List.of(), "none", List.of("none"))).check(baseOnly, log));
    }

    @Test
    void updateBaselineKeepsTheEntriesOfModelsItDidNotEvaluateAndSaysSo() throws IOException {
        Path baseline = dir.resolve("perplexity-baseline.json");
        SortedMap<String, SortedMap<String, Double>> committed = values(9.35, 7.20);
        committed.put("rnn-gru-char", new TreeMap<>(Map.of("bits_per_byte", 2.5)));
        Json.write(baseline, committed);
        PerplexityGate.enforce(gate(Double.POSITIVE_INFINITY, baseline, true).check(values(9.0, 7.0), log));
        assertEquals(Map.of("base", Map.of("corpus_perplexity", 9.0), "finetuned", Map.of("corpus_perplexity", 7.0),
                "rnn-gru-char", Map.of("bits_per_byte", 2.5)), PerplexityGate.readBaseline(baseline));
        assertTrue(logged.stream().anyMatch(l -> l.contains("kept from the old file, not evaluated by this build: rnn-gru-char")),
                logged.toString());
    }

    private static ModelResult result(String name, ScoreTally tally) {
        return new ModelResult(new ModelUnderTest(name, ModelFamily.TRANSFORMER, Path.of("kjv-base"), null, null, null), "token",
                null, tally);
    }

    private PerplexityGate gate(double maxPerplexity, Path baseline, boolean update) {
        return new PerplexityGate(new PerplexityGate.Settings(maxPerplexity, 0.15, 0.02, baseline, update));
    }

    private Path baseline(double base, double finetuned) throws IOException {
        Path file = dir.resolve("perplexity-baseline.json");
        Json.write(file, values(base, finetuned));
        return file;
    }

    private static SortedMap<String, SortedMap<String, Double>> values(double base, double finetuned) {
        SortedMap<String, SortedMap<String, Double>> values = new TreeMap<>();
        values.put("base", new TreeMap<>(Map.of("corpus_perplexity", base)));
        values.put("finetuned", new TreeMap<>(Map.of("corpus_perplexity", finetuned)));
        return values;
    }
}
