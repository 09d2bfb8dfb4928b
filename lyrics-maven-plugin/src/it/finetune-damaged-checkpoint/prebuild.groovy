// Runs this project's build in a forked Maven and kills it (SIGKILL) once two fine-tune checkpoints are
// on disk, then truncates the newest checkpoint's parameters, as a kill or power cut mid-write can.
import java.util.concurrent.TimeUnit

def mvn = new File(System.getProperty('maven.home'), 'bin/mvn').path
def command = [mvn, '-B', "-Dmaven.repo.local=${localRepositoryPath}", "-DdataDir=${new File(basedir, '../../../../data').canonicalPath}", 'verify']
def settings = new File(basedir, '../interpolated-settings.xml')
if (settings.isFile()) {
    command += ['-s', settings.path]
}
def forkedLog = new File(basedir, 'killed-build.log')
def build = new ProcessBuilder(command.collect { it.toString() }).directory(basedir)
        .redirectErrorStream(true).redirectOutput(forkedLog).start()

// the stage's work area: cache/work/<key>/checkpoints/step-NNNNNN
def work = new File(basedir, 'cache/work')
def checkpoints = { ->
    def found = []
    try {
        if (work.isDirectory()) {
            work.eachFileRecurse(groovy.io.FileType.DIRECTORIES) { if (it.name ==~ /step-\d+/) found << it }
        }
    } catch (FileNotFoundException ignored) {
        // a checkpoint renamed into place (.step-N.partial -> step-N) while the walk passed it: look again
    }
    found
}
long deadline = System.currentTimeMillis() + 600_000
while (build.isAlive() && checkpoints().size() < 2 && System.currentTimeMillis() < deadline) {
    Thread.sleep(10)
}
assert build.isAlive() : "the forked build ended before it wrote two checkpoints:\n" + forkedLog.text
build.toHandle().descendants().each { it.destroyForcibly() }
build.destroyForcibly()
assert build.waitFor(60, TimeUnit.SECONDS)

def newest = checkpoints().sort { it.name }.last()
def parameters = new File(newest, 'parameters.safetensors')
new RandomAccessFile(parameters, 'rw').withCloseable { it.setLength(it.length().intdiv(2)) }
new File(basedir, 'damaged-checkpoint.txt').text = newest.name
println "killed the forked build; truncated ${parameters}"
return true
