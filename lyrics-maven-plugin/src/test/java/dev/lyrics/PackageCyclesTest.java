package dev.lyrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lyrics.cache.CompiledCode;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * No package of the plugin depends on itself through others: the graph of which dev.lyrics package
 * names which, read from the compiled classes' constant pools (class references, descriptors,
 * signatures), has no cycle. A cycle is reported as the packages in order with, for each step, one
 * class that makes it.
 */
class PackageCyclesTest {
    @Test
    void thePackagesOfThePluginFormNoCycle() throws IOException, URISyntaxException {
        Path classes = Path.of(CompiledCode.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        CompiledCode code = CompiledCode.read(classes);
        SortedMap<String, SortedMap<String, String>> graph = packageGraph(code);
        assertTrue(graph.size() > 10, "read " + graph.size() + " packages from " + classes);
        assertEquals(List.of(), cycles(graph), "package cycles in " + classes);
    }

    /** Package to the packages it names, each with one example "from.Class -> to.Class". */
    static SortedMap<String, SortedMap<String, String>> packageGraph(CompiledCode code) {
        SortedMap<String, SortedMap<String, String>> graph = new TreeMap<>();
        for (String type : code.classes()) {
            String from = CompiledCode.packageOf(type);
            SortedMap<String, String> edges = graph.computeIfAbsent(from, p -> new TreeMap<>());
            for (String reference : code.references(type)) {
                if (code.isClass(reference) && !CompiledCode.packageOf(reference).equals(from)) {
                    edges.putIfAbsent(CompiledCode.packageOf(reference), dotted(type) + " -> " + dotted(reference));
                }
            }
        }
        return graph;
    }

    /** One line per strongly connected group of packages: a shortest cycle through its first package. */
    static List<String> cycles(SortedMap<String, SortedMap<String, String>> graph) {
        List<String> cycles = new ArrayList<>();
        for (SortedSet<String> group : stronglyConnected(graph)) {
            if (group.size() > 1) {
                cycles.add(describe(graph, group));
            }
        }
        return cycles;
    }

    private static String describe(SortedMap<String, SortedMap<String, String>> graph, SortedSet<String> group) {
        String start = group.first();
        Map<String, String> cameFrom = new HashMap<>();
        Deque<String> queue = new ArrayDeque<>(List.of(start));
        String last = null;
        while (last == null) {
            String at = queue.remove();
            for (String next : graph.getOrDefault(at, new TreeMap<>()).keySet()) {
                if (next.equals(start)) {
                    last = at;
                    break;
                }
                if (group.contains(next) && !cameFrom.containsKey(next)) {
                    cameFrom.put(next, at);
                    queue.add(next);
                }
            }
        }
        List<String> path = new ArrayList<>(List.of(last));
        while (!path.get(0).equals(start)) {
            path.add(0, cameFrom.get(path.get(0)));
        }
        path.add(start);
        StringBuilder text = new StringBuilder(dotted(start));
        StringBuilder because = new StringBuilder();
        for (int i = 1; i < path.size(); i++) {
            text.append(" -> ").append(dotted(path.get(i)));
            because.append(because.length() == 0 ? "" : "; ").append(graph.get(path.get(i - 1)).get(path.get(i)));
        }
        return text + " (" + because + ")" + (group.size() > path.size() - 1 ? ", cycle group " + dotted(group) : "");
    }

    /** Tarjan's strongly connected components, in a deterministic order. */
    private static List<SortedSet<String>> stronglyConnected(SortedMap<String, SortedMap<String, String>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        List<SortedSet<String>> groups = new ArrayList<>();
        for (String node : graph.keySet()) {
            if (!index.containsKey(node)) {
                connect(node, graph, index, low, stack, groups);
            }
        }
        return groups;
    }

    private static void connect(String node, SortedMap<String, SortedMap<String, String>> graph, Map<String, Integer> index,
            Map<String, Integer> low, Deque<String> stack, List<SortedSet<String>> groups) {
        index.put(node, index.size());
        low.put(node, index.get(node));
        stack.push(node);
        for (String next : graph.getOrDefault(node, new TreeMap<>()).keySet()) {
            if (!index.containsKey(next)) {
                connect(next, graph, index, low, stack, groups);
                low.put(node, Math.min(low.get(node), low.get(next)));
            } else if (stack.contains(next)) {
                low.put(node, Math.min(low.get(node), index.get(next)));
            }
        }
        if (low.get(node).equals(index.get(node))) {
            SortedSet<String> group = new TreeSet<>();
            String member;
            do {
                member = stack.pop();
                group.add(member);
            } while (!member.equals(node));
            groups.add(group);
        }
    }

    private static String dotted(Object name) {
        return name.toString().replace('/', '.');
    }
}
