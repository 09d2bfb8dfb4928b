#!/usr/bin/env python3
"""Groups the Chrome trace that `dev.lyrics.train.Benchmark --profile FILE` writes (libtorch's
autograd profiler over one training step) into: the top-level ops per phase (forward: before the
first autograd::engine::evaluate_function; backward: those functions; optimizer: after the last),
which for the forward and the optimizer are the native calls the Java side makes through JNI, and
the ops with the most self time (an event's duration less its nested events').

  /usr/bin/python3 bench/profile-summary.py trace.json [--layers 4] [--top 20]
"""
import argparse, collections, json


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("trace")
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--top", type=int, default=20)
    a = p.parse_args()
    data = json.load(open(a.trace))
    events = [e for e in (data["traceEvents"] if isinstance(data, dict) else data) if e.get("ph") == "X"]
    top_level, self_time = [], collections.Counter()
    by_thread = collections.defaultdict(list)
    for e in events:
        by_thread[e["tid"]].append(e)
    for tid, evs in by_thread.items():
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []
        for e in evs:
            while stack and e["ts"] >= stack[-1]["ts"] + stack[-1]["dur"] - 1e-3:
                stack.pop()
            if stack:
                stack[-1]["_children"] = stack[-1].get("_children", 0) + e["dur"]
            else:
                top_level.append(e)
            stack.append(e)
    by_shape = collections.defaultdict(lambda: [0, 0.0])
    for e in events:
        self_time[e["name"]] += e["dur"] - e.get("_children", 0)
        entry = by_shape[(e["name"], json.dumps(e.get("shape", [])))]
        entry[0] += 1
        entry[1] += e["dur"] - e.get("_children", 0)
    top_level.sort(key=lambda e: e["ts"])
    backward = [i for i, e in enumerate(top_level) if e["name"].startswith("autograd::engine::evaluate_function")]
    first, last = (backward[0], backward[-1]) if backward else (len(top_level), len(top_level) - 1)
    phases = {"forward": top_level[:first], "backward": top_level[first:last + 1], "optimizer": top_level[last + 1:]}
    total = sum(e["dur"] for e in top_level)
    print(f"{len(events)} profiled events, {len(top_level)} top-level, {total / 1e3:.1f} ms in top-level events")
    for name, evs in phases.items():
        ms = sum(e["dur"] for e in evs) / 1e3
        print(f"{name:<9} {len(evs):5d} top-level ops ({len(evs) / a.layers:.0f} per layer if all were in layers), "
              f"{ms:8.1f} ms ({100 * ms * 1e3 / total:.0f}%)")
    print("\nforward top-level ops by name (count, ms):")
    fwd = collections.defaultdict(lambda: [0, 0.0])
    for e in phases["forward"]:
        fwd[e["name"]][0] += 1
        fwd[e["name"]][1] += e["dur"] / 1e3
    for name, (n, ms) in sorted(fwd.items(), key=lambda kv: -kv[1][1])[:a.top]:
        print(f"  {n:4d} {ms:8.1f}  {name}")
    print(f"\nself time by op, top {a.top} (ms, % of top-level time):")
    for name, us in self_time.most_common(a.top):
        print(f"  {us / 1e3:8.1f} {100 * us / total:5.1f}%  {name}")
    print(f"\nself time by op and input shapes, top {a.top} (calls, ms):")
    for (name, shape), (n, us) in sorted(by_shape.items(), key=lambda kv: -kv[1][1])[:a.top]:
        print(f"  {n:4d} {us / 1e3:8.1f}  {name} {shape}")


if __name__ == "__main__":
    main()
