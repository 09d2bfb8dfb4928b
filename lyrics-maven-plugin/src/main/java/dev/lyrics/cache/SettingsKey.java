package dev.lyrics.cache;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns a settings record into the parameters and inputs of a stage's key, so that no setting can
 * be forgotten: every component is keyed under its name (a nested record's as "outer.inner", a
 * list's elements as "list.0"), a {@link Path} is an input hashed by content, null is absent, and
 * only a component marked {@link Unkeyed} stays out. A value must have a canonical form: a string,
 * number, boolean, enum, URI, duration, path, record, list or string-keyed map; any other type
 * fails here, before a key could depend on an object's identity.
 */
public final class SettingsKey {
    private SettingsKey() {}

    /** Adds the settings' keyed components to the spec being built. */
    public static StageSpec.Builder describe(Record settings, StageSpec.Builder spec) {
        component("", settings, spec);
        return spec;
    }

    private static void component(String name, Object value, StageSpec.Builder spec) {
        if (value == null) {
            return;
        }
        if (value instanceof Record record) {
            for (RecordComponent component : record.getClass().getRecordComponents()) {
                if (component.isAnnotationPresent(Unkeyed.class)) {
                    continue;
                }
                component(join(name, component.getName()), read(record, component), spec);
            }
        } else if (value instanceof Path path) {
            spec.input(name, path);
        } else if (value instanceof Collection<?> items && items.stream().anyMatch(SettingsKey::structured)) {
            int i = 0;
            for (Object item : items) {
                component(join(name, Integer.toString(i++)), item, spec);
            }
        } else if (value instanceof Map<?, ?> map && map.values().stream().anyMatch(SettingsKey::structured)) {
            new TreeMap<>(stringKeys(name, map)).forEach((key, item) -> component(join(name, key), item, spec));
        } else {
            spec.param(name, canonical(name, value));
        }
    }

    /** Values that are described component by component rather than as one string. */
    private static boolean structured(Object value) {
        return value instanceof Record || value instanceof Path;
    }

    /** The one-line canonical form of a plain value. */
    static String canonical(String name, Object value) {
        if (value instanceof Collection<?> items) {
            StringBuilder sb = new StringBuilder("[");
            for (Object item : items) {
                if (sb.length() > 1) {
                    sb.append(", ");
                }
                sb.append(canonical(name, item));
            }
            return sb.append(']').toString();
        }
        if (value instanceof Map<?, ?> map) {
            StringBuilder sb = new StringBuilder("{");
            new TreeMap<>(stringKeys(name, map)).forEach((key, item) -> {
                if (sb.length() > 1) {
                    sb.append(", ");
                }
                sb.append(key).append('=').append(canonical(name, item));
            });
            return sb.append('}').toString();
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
        }
        if (value instanceof Enum<?> constant) {
            return constant.name().toLowerCase(java.util.Locale.ROOT);
        }
        if (value instanceof String || value instanceof Number || value instanceof Boolean || value instanceof Character
                || value instanceof URI || value instanceof Duration) {
            return value.toString();
        }
        if (value == null) {
            return "null";
        }
        throw new IllegalArgumentException("settings component " + name + " is a " + value.getClass().getName()
                + ", which has no canonical form for a cache key; make it a record or a value type");
    }

    private static Map<String, Object> stringKeys(String name, Map<?, ?> map) {
        Map<String, Object> out = new TreeMap<>();
        map.forEach((key, item) -> {
            if (!(key instanceof String text)) {
                throw new IllegalArgumentException("settings component " + name + " is a map with "
                        + (key == null ? "a null" : "a " + key.getClass().getName()) + " key; only string keys are keyed");
            }
            out.put(text, item);
        });
        return out;
    }

    private static Object read(Record record, RecordComponent component) {
        try {
            java.lang.reflect.Method accessor = component.getAccessor();
            accessor.trySetAccessible();
            return accessor.invoke(record);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("settings " + record.getClass().getName() + " cannot be read", e);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("settings component " + component.getName() + " failed", e.getCause());
        }
    }

    private static String join(String prefix, String name) {
        return prefix.isEmpty() ? name : prefix + "." + name;
    }
}
