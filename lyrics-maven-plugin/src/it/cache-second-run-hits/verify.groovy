// build.log holds both invocations: the first computes every stage, the second restores them all
def log = new File(basedir, 'build.log').text
def builds = log.split(/BUILD SUCCESS/)
assert builds.length >= 3 : "expected two successful builds in build.log"
def first = builds[0]
def second = builds[1]

assert first =~ /lyrics:scrape runs \(cache [0-9a-f]{12}\): no earlier run recorded/
assert first =~ /lyrics:preprocess runs \(cache [0-9a-f]{12}\)/

assert second =~ /lyrics:scrape up to date \(cache [0-9a-f]{12}\)/
assert second =~ /lyrics:preprocess up to date \(cache [0-9a-f]{12}\)/
assert !(second =~ /runs \(cache/) : "the second build must do no stage work"

def out = new File(basedir, 'target/lyrics/preprocess')
['train.json', 'test.json', 'train_lyrics.txt', 'test_lyrics.txt', 'vocab_char.json', 'vocab_word.json',
 'dataset_info.json'].each { assert new File(out, it).isFile() : "restored output $it" }
assert new File(basedir, 'cache/entries').list().length == 2
return true
