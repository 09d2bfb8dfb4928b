package dev.lyrics.cache;

import dev.lyrics.core.Files2;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The plugin's compiled code: every entry under dev/lyrics/ of a classes directory or a jar, and
 * what each class file names in its constant pool. Every name a class uses (the classes it calls,
 * its field and method descriptors, generic signatures, annotations, nest and inner classes) is a
 * CONSTANT_Utf8 entry there, and so is every string literal, which catches a resource path or class
 * name spelled out for a by-name lookup.
 */
public final class CompiledCode {
    public static final String PREFIX = "dev/lyrics/";
    private static final String CLASS = ".class";
    /** A name under dev/lyrics in internal form (descriptors, resource paths) or in dotted form (Class.forName). */
    private static final Pattern NAME = Pattern.compile("dev/lyrics/[\\w$/.-]+|dev\\.lyrics\\.[\\w$.]+");

    private final SortedMap<String, byte[]> entries;

    private CompiledCode(SortedMap<String, byte[]> entries) {
        this.entries = entries;
    }

    /** The dev/lyrics/ entries of a classes directory or a jar (directories themselves left out). */
    public static CompiledCode read(Path classesDirOrJar) throws IOException {
        SortedMap<String, byte[]> entries = new TreeMap<>();
        if (Files.isDirectory(classesDirOrJar)) {
            for (String rel : Files2.listFiles(classesDirOrJar)) {
                if (rel.startsWith(PREFIX)) {
                    entries.put(rel, Files.readAllBytes(classesDirOrJar.resolve(rel)));
                }
            }
        } else {
            try (JarFile jar = new JarFile(classesDirOrJar.toFile())) {
                for (JarEntry entry : Collections.list(jar.entries())) {
                    if (!entry.isDirectory() && entry.getName().startsWith(PREFIX)) {
                        try (InputStream in = jar.getInputStream(entry)) {
                            entries.put(entry.getName(), in.readAllBytes());
                        }
                    }
                }
            }
        }
        return new CompiledCode(Collections.unmodifiableSortedMap(entries));
    }

    /** Entry path (dev/lyrics/report/ReportPage.class) to its bytes, in sorted order. */
    public SortedMap<String, byte[]> entries() {
        return entries;
    }

    /** Internal names (dev/lyrics/report/ReportPage) of the classes, sorted. */
    public SortedSet<String> classes() {
        SortedSet<String> classes = new TreeSet<>();
        for (String entry : entries.keySet()) {
            if (entry.endsWith(CLASS)) {
                classes.add(entry.substring(0, entry.length() - CLASS.length()));
            }
        }
        return classes;
    }

    /** The package (dev/lyrics/report) of a class's internal name or of an entry path. */
    public static String packageOf(String name) {
        return name.substring(0, name.lastIndexOf('/'));
    }

    /**
     * The other classes of this code that a class refers to, plus the entries (resources) and
     * packages its string constants name: what it names under dev/lyrics, resolved against the
     * entries here, in internal form (classes without .class, resources and packages as paths).
     */
    public SortedSet<String> references(String className) {
        SortedSet<String> references = new TreeSet<>();
        for (String constant : constantPool(className).utf8) {
            Matcher matcher = NAME.matcher(constant);
            while (matcher.find()) {
                String found = stripTrailingDots(matcher.group());
                String name = found.startsWith(PREFIX) ? found : found.replace('.', '/');
                String known = known(name);
                if (known == null && name.indexOf('.') > 0) {
                    // a class named with a suffix (dev/lyrics/model/LlamaModel.java): counting it errs on the safe side
                    known = known(name.substring(0, name.indexOf('.')));
                }
                if (known != null) {
                    references.add(known);
                }
            }
        }
        references.remove(className);
        return references;
    }

    /** The class (without .class), resource or package {@code name} is here, or null where it is none of them. */
    private String known(String name) {
        String bare = name.endsWith(CLASS) ? name.substring(0, name.length() - CLASS.length()) : name;
        if (entries.containsKey(bare + CLASS)) {
            return bare;
        }
        boolean resourceOrPackage = entries.containsKey(name)
                || !entries.subMap(name + "/", name + "0").isEmpty(); // '0' is the character after '/'
        return resourceOrPackage ? name : null;
    }

    /** Whether {@code reference} (from {@link #references}) is a class of this code. */
    public boolean isClass(String reference) {
        return entries.containsKey(reference + CLASS);
    }

    /** Whether {@code reference} (from {@link #references}) is a resource entry of this code. */
    public boolean isResource(String reference) {
        return !reference.endsWith(CLASS) && entries.containsKey(reference);
    }

    /** The methods a class calls, as owner.name (java/lang/Class.forName), sorted. */
    public SortedSet<String> calls(String className) {
        return constantPool(className).calls;
    }

    private ConstantPool constantPool(String className) {
        byte[] classFile = entries.get(className + CLASS);
        if (classFile == null) {
            throw new IllegalArgumentException("no class " + className.replace('/', '.') + " in " + PREFIX);
        }
        try {
            return constantPool(classFile);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(className + CLASS + ": " + e.getMessage(), e);
        }
    }

    private static String stripTrailingDots(String name) {
        int end = name.length();
        while (end > 0 && name.charAt(end - 1) == '.') {
            end--;
        }
        return name.substring(0, end);
    }

    private record ConstantPool(SortedSet<String> utf8, SortedSet<String> calls) {}

    /** Reads a class file's constant pool (JVMS 4.4): its Utf8 entries and its method references. */
    private static ConstantPool constantPool(byte[] classFile) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile))) {
            if (in.readInt() != 0xCAFEBABE) {
                throw new IllegalArgumentException("not a class file (no CAFEBABE magic)");
            }
            in.readUnsignedShort(); // minor version
            in.readUnsignedShort(); // major version
            int count = in.readUnsignedShort();
            String[] utf8 = new String[count];
            int[] classNameIndex = new int[count];
            int[] nameAndTypeNameIndex = new int[count];
            int[][] methodRefs = new int[count][];
            for (int i = 1; i < count; i++) {
                int tag = in.readUnsignedByte();
                switch (tag) {
                    case 1 -> utf8[i] = in.readUTF(); // modified UTF-8 with a u2 length, as DataInput reads it
                    case 7 -> classNameIndex[i] = in.readUnsignedShort();
                    case 8, 16, 19, 20 -> in.readUnsignedShort(); // String, MethodType, Module, Package
                    case 3, 4 -> in.readInt(); // Integer, Float
                    case 5, 6 -> { // Long, Double take two slots
                        in.readLong();
                        i++;
                    }
                    case 9, 17, 18 -> in.readInt(); // Fieldref, Dynamic, InvokeDynamic
                    case 10, 11 -> methodRefs[i] = new int[] {in.readUnsignedShort(), in.readUnsignedShort()};
                    case 12 -> {
                        nameAndTypeNameIndex[i] = in.readUnsignedShort();
                        in.readUnsignedShort();
                    }
                    case 15 -> { // MethodHandle
                        in.readUnsignedByte();
                        in.readUnsignedShort();
                    }
                    default -> throw new IllegalArgumentException("unknown constant pool tag " + tag + " at entry " + i);
                }
            }
            SortedSet<String> strings = new TreeSet<>();
            SortedSet<String> calls = new TreeSet<>();
            for (int i = 1; i < count; i++) {
                if (utf8[i] != null) {
                    strings.add(utf8[i]);
                }
                if (methodRefs[i] != null) {
                    calls.add(utf8[classNameIndex[methodRefs[i][0]]] + "." + utf8[nameAndTypeNameIndex[methodRefs[i][1]]]);
                }
            }
            return new ConstantPool(strings, calls);
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated class file: " + e, e);
        }
    }
}
