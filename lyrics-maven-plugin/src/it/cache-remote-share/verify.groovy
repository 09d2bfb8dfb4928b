// build.log holds both clones' builds: a computes and pushes every stage, b restores every stage
try {
    def log = new File(basedir, 'build.log').text
    def builds = log.split(/BUILD SUCCESS/)
    assert builds.length >= 3 : "expected two successful builds in build.log"
    def (a, b) = [builds[0], builds[1]]
    def stages = ['lyrics:scrape', 'lyrics:preprocess', 'lyrics:finetune', 'lyrics:finetune \\[rnn-gru-char\\]', 'lyrics:perplexity']

    stages.each { stage ->
        assert a =~ /(?m)${stage} runs \(cache [0-9a-f]{12}\)/ : "clone a computes $stage"
        assert a =~ /(?m)${stage} computed; pushed to remote cache \([\d.]+ [kMG]B\)/ : "clone a pushes $stage"
        assert b =~ /(?m)${stage} restored from remote cache \(cache [0-9a-f]{12}, [\d.]+ [kMG]B\)/ : "clone b restores $stage"
    }
    assert !(b =~ /runs \(cache/) : "clone b must compute nothing"
    assert !b.contains('trainable parameters') && !b.contains('examples, ') : "clone b must train nothing"
    assert !(log =~ /WARNING.*remote cache/) : "no remote cache warning"
    assert a.contains('lyrics cache: 0 local, 0 remote, 5 computed (5 pushed)')
    assert b =~ /lyrics cache: 0 local, 5 remote, 0 computed \(0 pushed\); [\d.]+ [kMG]B downloaded, 0 B uploaded/

    // one archive per entry in the store, no temporary upload left
    def store = new File(basedir, 'nginx/store/lyrics')
    assert store.list().findAll { it ==~ /[0-9a-f]{64}\.tar/ }.size() == 5
    assert store.list().every { it.endsWith('.tar') } : store.list().toString()
    // b published what it restored as local entries
    assert new File(basedir, 'b/cache/entries').list().length == 5

    def perplexityA = new File(basedir, 'a/target/lyrics/perplexity/perplexity.json').bytes
    def perplexityB = new File(basedir, 'b/target/lyrics/perplexity/perplexity.json').bytes
    assert perplexityA.length > 0 && perplexityA == perplexityB : "perplexity.json byte-identical"
    ['finetune/adapter_model.safetensors', 'rnn-gru-char/model.safetensors', 'preprocess/train.json'].each {
        assert new File(basedir, "a/target/lyrics/$it").bytes == new File(basedir, "b/target/lyrics/$it").bytes : it
    }

    // the password is in no file: not in build.log, not in the caches, outputs or the store
    basedir.eachFileRecurse(groovy.io.FileType.FILES) { file ->
        if (file.length() < 50_000_000) {
            assert !file.getText('ISO-8859-1').contains(context.password) : "password in $file"
        }
    }
    return true
} finally {
    context.nginx?.close()
}
