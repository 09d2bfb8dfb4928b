// Starts a fake Genius in the invoker's JVM for the build to scrape, and points the build at it:
// the token goes into the project's .env file, the URLs into .mvn/maven.config.
import dev.lyrics.scrape.genius.FakeGenius

def token = 'it-token-' + UUID.randomUUID()
def genius = FakeGenius.studyCatalogue(token, 4)
context.fakeGenius = genius
context.token = token

new File(basedir, '.env').text = "# written by prebuild.groovy\nGENIUS_API_TOKEN=\"${token}\"\n"
new File(basedir, '.mvn').mkdirs()
new File(basedir, '.mvn/maven.config').text =
        "-Dlyrics.genius.apiUrl=${genius.apiUrl()}\n-Dlyrics.genius.webUrl=${genius.webUrl()}\n"
return true
