// build.log holds the six clones' builds (see invoker.properties)
try {
    def log = new File(basedir, 'build.log').text
    def builds = log.split(/BUILD SUCCESS/)
    assert builds.length >= 7 : "expected six successful builds in build.log"
    def (a, fail500, slow, flipped, wrong, f) = builds[0..5]
    def remoteWarnings = { String build -> build.readLines().findAll { it =~ /WARNING.*remote cache/ } }
    def computedBoth = { String build ->
        ['scrape', 'preprocess'].every { build =~ /lyrics:$it runs \(cache [0-9a-f]{12}\)/ } &&
                build.contains('lyrics cache: 0 local, 0 remote, 2 computed (0 pushed)')
    }

    assert a.contains('lyrics:scrape computed; pushed to remote cache')
    assert a.contains('lyrics:preprocess computed; pushed to remote cache')

    // a failing server: one warning for the build (the remote is off after it), both stages computed
    assert remoteWarnings(fail500).size() == 1 : remoteWarnings(fail500)
    assert remoteWarnings(fail500)[0] =~ /lyrics:scrape: remote cache http:\/\/127\.0\.0\.1:\d+\/fail500\/lyrics \(server lyrics-cache\) answered HTTP 500 to GET; computing locally/
    assert computedBoth(fail500)

    assert remoteWarnings(slow).size() == 1 : remoteWarnings(slow)
    assert remoteWarnings(slow)[0].contains('was silent for 2 s during GET (lyrics.cache.remote.timeoutSeconds)')
    assert computedBoth(slow)

    // a flipped byte: each entry fails its manifest check, is not published, and the stage is computed
    assert remoteWarnings(flipped).size() == 2 : remoteWarnings(flipped)
    remoteWarnings(flipped).each { assert it =~ /holds a corrupt entry [0-9a-f]{12} \(\S+ does not match its hash\); computing locally/ }
    assert computedBoth(flipped)

    // wrong credentials: the warning names the server id
    assert remoteWarnings(wrong).size() == 1 : remoteWarnings(wrong)
    assert remoteWarnings(wrong)[0].contains('refused GET (HTTP 401): check the username and password of <server> lyrics-cache-wrong in settings.xml')
    assert computedBoth(wrong)

    // the store itself was whole all along
    assert remoteWarnings(f).isEmpty()
    assert f.contains('lyrics:scrape restored from remote cache') && f.contains('lyrics:preprocess restored from remote cache')

    // every clone ends with the same outputs
    def reference = new File(basedir, 'a/target/lyrics/preprocess/train.json').bytes
    ['b', 'c', 'd', 'e', 'f'].each { assert new File(basedir, "$it/target/lyrics/preprocess/train.json").bytes == reference : it }

    basedir.eachFileRecurse(groovy.io.FileType.FILES) { file ->
        assert !file.getText('ISO-8859-1').contains(context.password) : "password in $file"
    }
    return true
} finally {
    context.nginx?.close()
}
