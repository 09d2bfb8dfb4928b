def log = new File(basedir, 'build.log').text
assert log.contains('BUILD FAILURE')
assert log =~ /parameter lyrics\.preprocess\.testFraction \(<testFraction>\) is 1\.5/ : "message names the parameter and value"
assert log.contains('-Dlyrics.preprocess.testFraction=')
assert !new File(basedir, 'target/lyrics/preprocess/train.json').exists() : "nothing written"
return true
