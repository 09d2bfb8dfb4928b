def log = new File(basedir, 'build.log').text
assert log.contains('BUILD SUCCESS')
assert log =~ /baseline: base corpus_perplexity [\d.]+ is [\d.]+% worse than its baseline 1\.0100; accepted, baseline updated/
assert log.contains('rewritten with this build\'s figures: commit it; kept from the old file, not evaluated by this build: rnn-lstm-word')
assert log.contains('baseline: rnn-lstm-word is in ') && log.contains('but this build did not evaluate it; kept in the rewritten file')

def figures = new groovy.json.JsonSlurper().parse(new File(basedir, 'target/lyrics/perplexity/perplexity.json'))
def baseline = new groovy.json.JsonSlurper().parse(new File(basedir, 'perplexity-baseline.json'))
assert baseline.keySet() == ['base', 'rnn-lstm-word'] as Set
assert baseline['rnn-lstm-word'] == ['corpus_perplexity': 40.2345, 'word_perplexity': 98.2421] : "kept as it was"
def metrics = figures.models.base.metrics
assert baseline.base.keySet() == metrics.keySet() : "every figure of the base model written"
metrics.each { metric, figure ->
    def expected = new BigDecimal(figure.value as double).round(new java.math.MathContext(6))
    assert Math.abs((baseline.base[metric] as double) - expected.doubleValue()) < 1e-12 : "$metric to 6 significant digits"
}
return true
