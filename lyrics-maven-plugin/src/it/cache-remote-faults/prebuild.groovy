// Starts nginx (WebDAV, basic auth) for the build and writes the credentials into remote-settings.xml
import dev.lyrics.cache.NginxDav

context.password = NginxDav.prepareIntegrationTest(basedir.toPath(), context)
return true
