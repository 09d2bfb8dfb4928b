def log = new File(basedir, 'build.log').text
assert log.contains('parameter lyrics.pretrain.kvHeads (<kvHeads>) is 3: must divide heads 4')
assert !new File(basedir, 'target/lyrics/pretrain').exists()
return true
