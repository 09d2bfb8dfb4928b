def log = new File(basedir, 'build.log').text
assert log.contains('BUILD SUCCESS')
def out = new File(basedir, 'target/lyrics/perplexity')
def xml = new groovy.xml.XmlSlurper().parse(new File(out, 'TEST-lyrics-perplexity.xml'))
assert xml.@failures == '0'
assert xml.@skipped == '0' : "every rule was checked, none skipped"
def names = xml.testcase.collect { it.@name.toString() }
assert names.contains('maxPerplexity finetuned corpus_perplexity')
assert names.contains('minImprovement finetuned corpus_perplexity')
// every entry of the committed baseline was checked against this build's figure
def baseline = new groovy.json.JsonSlurper().parse(new File(basedir, 'perplexity-baseline.json'))
assert baseline.keySet() == ['base', 'finetuned', 'rnn-gru-char'] as Set
baseline.each { model, metrics ->
    assert metrics.size() == 5 : "$model: every metric"
    metrics.each { metric, value -> assert names.contains("baseline $model $metric".toString()) }
}
assert log =~ /maxPerplexity: finetuned corpus_perplexity [\d.]+ is at most [\d.]+/
assert log =~ /minImprovement: finetuned corpus_perplexity [\d.]+ is [\d.]+% below base/
assert log =~ /baseline: 15 figures within 2\.0% of /
return true
