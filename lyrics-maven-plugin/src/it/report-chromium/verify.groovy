// Renders the report in Debian's headless chromium: a screenshot for people, the DOM after load for asserts.
import java.util.concurrent.TimeUnit
import javax.imageio.ImageIO

def page = new File(basedir, 'target/lyrics/report/report.html')
assert page.isFile() : "lyrics:report wrote no $page"
def log = new File(basedir, 'build.log').text
assert log =~ /lyrics:report runs \(cache [0-9a-f]{12}\)/

def chromium = new File('/usr/bin/chromium')
assert chromium.canExecute() : 'this test needs Debian\'s chromium: apt-get install chromium fonts-dejavu-core'

def run = { List<String> extra ->
    def profile = java.nio.file.Files.createTempDirectory('lyrics-report-chromium').toFile()
    try {
        def command = [chromium.path, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                       '--disable-background-networking', '--disable-component-update', '--disable-sync',
                       "--user-data-dir=${profile}".toString(), '--window-size=1280,4000'] + extra + [page.toURI().toString()]
        def process = command.execute()
        def out = new StringBuilder()
        def err = new StringBuilder()
        process.consumeProcessOutput(out, err)
        assert process.waitFor(180, TimeUnit.SECONDS) : "chromium did not finish: $command"
        process.waitForProcessOutput()
        assert process.exitValue() == 0 : "chromium failed (${process.exitValue()}): $err"
        return out.toString()
    } finally {
        profile.deleteDir()
    }
}

def screenshot = new File(basedir, 'report.png')
run(["--screenshot=${screenshot}".toString()])
def image = ImageIO.read(screenshot)
assert image != null && image.width == 1280 : "no readable screenshot at $screenshot"
def inked = (0..<200).count { i -> (image.getRGB(40 + i * 5, 60) & 0xffffff) != 0xffffff }
assert inked > 0 : 'the screenshot is blank where the title should be'
println "screenshot: $screenshot"

// after load the page's own script has checked every <img>: complete and naturalWidth > 0
def dom = run(['--virtual-time-budget=10000', '--dump-dom'])
assert dom.contains('data-images-decoded="true"') : 'an image of the page did not decode'
assert dom.contains('data-images="2"') : 'expected the two loss charts'
assert (dom =~ /<img class="chart"[^>]*src="data:image\/png;base64,/).count == 2
['dataset', 'training', 'perplexity', 'samples', 'stages', 'hyperparameters'].each { id ->
    assert dom.contains("<section id=\"$id\">") : "section $id missing or marked not run"
}
assert dom.contains('Verdict: PASSED')
assert (dom =~ /<article class="sample">/).count == 4
assert dom.contains('<td>finetuned</td>')
return true
