import groovy.json.JsonSlurper

try {
    def log = new File(basedir, 'build.log').text
    def scrape = new File(basedir, 'target/lyrics/scrape')
    def songs = new File(scrape, 'songs.jsonl').readLines().findAll { it.trim() }.collect { new JsonSlurper().parseText(it) }

    // three songs per artist, in the configured order and spelling; remix, instrumental, feature,
    // unreleased and "[?]" placeholder songs of the fake's catalogue skipped, the placeholder listed
    // before the third song and not taking its place
    assert songs*.artist == ['Kendrick Lamar'] * 3 + ['Kanye West'] * 3 + ['Jay Z'] * 3
    assert songs*.title == ['Kendrick Lamar Song 1', 'Kendrick Lamar Song 2', 'Kendrick Lamar Song 3',
                            'Kanye West Song 1', 'Kanye West Song 2', 'Kanye West Song 3',
                            'JAY-Z Song 1', 'JAY-Z Song 2', 'JAY-Z Song 3']
    songs.each { song ->
        assert song.source ==~ /https:\/\/genius\.com\/Song-\d+-lyrics/
        assert song.song_id instanceof Number
        assert song.lyrics.startsWith('[Verse 1: ')
        assert song.lyrics.contains('\n\n[Verse 2: ')
        assert song.lyrics.contains('\n\n[Chorus]\n') // the in-read ad stands where the blank line is
        assert !song.lyrics.contains('Advertisement')
    }

    def report = new JsonSlurper().parse(new File(scrape, 'scrape-report.json'))
    assert report.kept == 9
    assert report.artists*.kept == [3, 3, 3]
    assert report.artists*.skipped == [['excluded-title': 1, 'instrumental': 1, 'other-artist': 1, 'lyrics-not-complete': 1,
                                        'no-words-outside-brackets': 1]] * 3
    assert report.artists[2].genius_artist_name == 'JAY-Z'

    // preprocess read the scraped songs
    def preprocess = new File(basedir, 'target/lyrics/preprocess')
    def train = new JsonSlurper().parse(new File(preprocess, 'train.json'))
    def test = new JsonSlurper().parse(new File(preprocess, 'test.json'))
    assert train.size() + test.size() == 9
    assert (train + test)*.output.toSet() == songs*.lyrics.toSet()
    assert new File(preprocess, 'train_lyrics.txt').text.startsWith('<|song_start|>\n[Verse 1: ')

    // the token is in .env and nowhere the build wrote
    assert !log.contains(context.token)
    [scrape, preprocess, new File(basedir, 'cache')].each { dir ->
        dir.eachFileRecurse(groovy.io.FileType.FILES) { assert !it.text.contains(context.token) : "token in $it" }
    }
    return true
} finally {
    context.fakeGenius?.close()
}
