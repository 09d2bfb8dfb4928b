package dev.lyrics.core;

/** A parameter has a value the goal cannot work with; the message names the parameter. */
public class ConfigException extends LyricsException {
    public ConfigException(String message) {
        super(message);
    }

    /** "parameter lyrics.preprocess.testFraction (&lt;testFraction&gt;) is 1.5: must be in (0, 1)". */
    public static ConfigException of(String property, Object value, String requirement) {
        String element = property.substring(property.lastIndexOf('.') + 1);
        return new ConfigException("parameter " + property + " (<" + element + ">) is " + value + ": " + requirement
                + "; change it in experiment/pom.xml or with -D" + property + "=...");
    }

    public static void require(boolean ok, String property, Object value, String requirement) {
        if (!ok) {
            throw of(property, value, requirement);
        }
    }
}
