def log = new File(basedir, 'build.log').text
assert log.contains('BUILD FAILURE')
assert log =~ /\| base \| token \|/ : "the table is printed before the gate runs"
assert log =~ /perplexity gate failed \(2 of \d+ checks\)/
assert log =~ /baseline: base corpus_perplexity regressed: \d+\.\d{4} is [\d.]+% worse than its baseline 1\.0100, above the limit 1\.0302/ :
        "names the model, the metric, the value and the limit"
assert log =~ /baseline: base bits_per_byte regressed/
assert log.contains('accept it with -Dlyrics.perplexity.updateBaseline=true and commit the file')

def out = new File(basedir, 'target/lyrics/perplexity')
['perplexity.json', 'perplexity.md', 'TEST-lyrics-perplexity.xml'].each { assert new File(out, it).isFile() : "wrote $it" }
def xml = new groovy.xml.XmlSlurper().parse(new File(out, 'TEST-lyrics-perplexity.xml'))
assert xml.@failures == '2'
assert xml.testcase.find { it.@name == 'baseline base corpus_perplexity' }.failure.size() == 1

def baseline = new File(basedir, 'perplexity-baseline.json').text
assert baseline.contains('"corpus_perplexity" : 1.01') : "a failed gate leaves the baseline alone"
return true
