def out = new File(basedir, 'target/lyrics/pretrain')
['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json',
 'loss.jsonl', 'README.md'].each { name ->
    assert new File(out, name).isFile() : "missing ${name}"
    assert new File(basedir, "target/exported/${name}").isFile() : "not exported: ${name}"
}
def config = new groovy.json.JsonSlurper().parse(new File(out, 'config.json'))
assert config.num_key_value_heads == 2 && config.num_attention_heads == 4 && config.vocab_size == 320
assert config.torch_dtype == 'float16'
def losses = new File(out, 'loss.jsonl').readLines()
assert losses.size() == 4 + 2
assert new File(out, 'README.md').text.contains('mvn -B -Ppretrain validate -pl experiment')
def log = new File(basedir, 'build.log').text
assert log.contains('lyrics:pretrain runs')
assert log.contains('lyrics:pretrain up to date')
assert log.contains('held-out loss')
return true
