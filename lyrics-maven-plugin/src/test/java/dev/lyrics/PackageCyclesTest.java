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
 * signatures), has no cycle. Each cycle is reported as its packages in order with, for each step,
 * one class reference that makes it.
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

    /**
     * One line per cycle: for each package in a strongly connected group, a shortest cycle through
     * it, each cycle once.
     */
    static List<String> cycles(SortedMap<String, SortedMap<String, String>> graph) {
        SortedMap<String, String> cycles = new TreeMap<>();
        for (SortedSet<String> group : stronglyConnected(graph)) {
            if (group.size() > 1) {
                for (String start : group) {
                    List<String> cycle = shortestCycle(graph, group, start);
                    // the same cycle found from another of its packages: keyed by its sorted packages and order
                    List<String> rotated = rotateToSmallest(cycle);
                    cycles.putIfAbsent(String.join(" ", rotated), describe(graph, rotated));
                }
            }
        }
        return new ArrayList<>(cycles.values());
    }

    /** The packages of a shortest cycle from start back to it, start first (not repeated). */
    private static List<String> shortestCycle(SortedMap<String, SortedMap<String, String>> graph, SortedSet<String> group,
            String start) {
        Map<String, String> cameFrom = new HashMap<>();
        Deque<String> queue = new ArrayDeque<>(List.of(start));
        while (true) {
            String at = queue.remove();
            for (String next : graph.getOrDefault(at, new TreeMap<>()).keySet()) {
                if (next.equals(start)) {
                    List<String> path = new ArrayList<>(List.of(at));
                    while (!path.get(0).equals(start)) {
                        path.add(0, cameFrom.get(path.get(0)));
                    }
                    return path;
                }
                if (group.contains(next) && !cameFrom.containsKey(next)) {
                    cameFrom.put(next, at);
                    queue.add(next);
                }
            }
        }
    }

    private static List<String> rotateToSmallest(List<String> cycle) {
        int smallest = cycle.indexOf(new TreeSet<>(cycle).first());
        List<String> rotated = new ArrayList<>(cycle.subList(smallest, cycle.size()));
        rotated.addAll(cycle.subList(0, smallest));
        return rotated;
    }

    /** "a -> b -> a (a.X -> b.Y; b.Z -> a.W)". */
    private static String describe(SortedMap<String, SortedMap<String, String>> graph, List<String> cycle) {
        StringBuilder text = new StringBuilder(dotted(cycle.get(0)));
        StringBuilder because = new StringBuilder();
        for (int i = 0; i < cycle.size(); i++) {
            String from = cycle.get(i);
            String to = cycle.get((i + 1) % cycle.size());
            text.append(" -> ").append(dotted(to));
            because.append(i == 0 ? "" : "; ").append(graph.get(from).get(to));
        }
        return text + " (" + because + ")";
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
