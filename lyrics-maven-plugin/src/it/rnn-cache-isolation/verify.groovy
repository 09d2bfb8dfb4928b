// build.log holds both invocations: the first trains both models, the second (GRU hidden size
// 8 -> 12) retrains the GRU and restores the LSTM from the cache
import groovy.json.JsonSlurper

def log = new File(basedir, 'build.log').text
def builds = log.split(/BUILD SUCCESS/)
assert builds.length >= 3 : "expected two successful builds in build.log"
def first = builds[0]
def second = builds[1]

assert first =~ /lyrics:finetune \[rnn-lstm-char\] runs \(cache [0-9a-f]{12}\): no earlier run recorded/
assert first =~ /lyrics:finetune \[rnn-gru-char\] runs \(cache [0-9a-f]{12}\): no earlier run recorded/
assert first.contains('lyrics:finetune recurrent models: 2 trained, 0 up to date')

assert second =~ /lyrics:finetune \[rnn-lstm-char\] up to date \(cache [0-9a-f]{12}\)/
assert second =~ /lyrics:finetune \[rnn-gru-char\] runs \(cache [0-9a-f]{12}\): parameter model\.hiddenSize 8 -> 12/
assert !(second =~ /\[rnn-lstm-char\] runs/) : "the LSTM must not retrain"
assert second.contains('lyrics:finetune recurrent models: 1 trained, 1 up to date')

def out = new File(basedir, 'target/lyrics')
['rnn-lstm-char', 'rnn-gru-char'].each { stage ->
    ['model.safetensors', 'config.json', 'vocab.json', 'loss.jsonl'].each {
        assert new File(out, "$stage/$it").isFile() : "$stage/$it"
    }
}
assert new JsonSlurper().parse(new File(out, 'rnn-gru-char/config.json')).hidden_size == 12
assert new JsonSlurper().parse(new File(out, 'rnn-lstm-char/config.json')).hidden_size == 8
return true
