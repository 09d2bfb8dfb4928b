def log = new File(basedir, 'build.log').text
assert log.contains('lyrics:scrape with source genius needs a Genius API token')
assert log.contains('the environment variable GENIUS_API_TOKEN')
assert log.contains('GENIUS_API_TOKEN="..." in ' + new File(basedir, '.env').absolutePath)
assert log.contains('<id>genius</id>') && log.contains('settings.xml')
// fast: before the cache, before any request
assert !(log =~ /lyrics:scrape runs/)
assert !new File(basedir, 'target/lyrics/scrape/songs.jsonl').exists()
return true
