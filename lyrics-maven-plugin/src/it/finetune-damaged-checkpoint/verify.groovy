import groovy.json.JsonSlurper

def log = new File(basedir, 'build.log').text
def builds = log.split(/BUILD SUCCESS/)
assert builds.length >= 3 : "expected two successful builds in build.log"
def (resumed, clean) = [builds[0], builds[1]]
def damaged = new File(basedir, 'damaged-checkpoint.txt').text

assert resumed =~ /lyrics:finetune runs \(cache [0-9a-f]{12}\)/
assert resumed =~ /\[WARNING\] lyrics:finetune: checkpoint \S+\/${damaged} is damaged \(parameters\.safetensors has the wrong size/
assert resumed =~ /resuming from the one before, step-\d+/
assert resumed =~ /resuming after step \d+ from /
assert clean =~ /lyrics:finetune runs \(cache [0-9a-f]{12}\): no earlier run recorded/
assert !(clean =~ /resuming/)

// the same key in both caches; its adapter and loss values identical
def finetuneEntry = { String cache ->
    def entries = new File(basedir, "$cache/entries").listFiles().findAll { new File(it, 'files/adapter_model.safetensors').isFile() }
    assert entries.size() == 1 : "one fine-tune entry in $cache"
    entries[0]
}
def a = finetuneEntry('cache')
def b = finetuneEntry('clean-cache')
assert a.name == b.name
['adapter_model.safetensors', 'adapter_config.json'].each {
    assert new File(a, "files/$it").bytes == new File(b, "files/$it").bytes : "$it differs from the uninterrupted run's"
}
def losses = { dir -> new File(dir, 'files/loss.jsonl').readLines().collect { new JsonSlurper().parseText(it).loss } }
assert losses(a) == losses(b)
assert (new File(basedir, 'cache/work').list()?.length ?: 0) == 0 : "the work area is deleted after publishing"
return true
