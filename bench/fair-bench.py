#!/usr/bin/env python3
"""Side-by-side speed of the Java decoder (dev.lyrics.train.Benchmark) and the PyTorch reference
(../shared/reference/llama_ref.py bench) on one configuration, in alternating rounds.

  fair   (default) each round runs, per thread count (--threads), every setting of each side
         (--settings): Java as the build runs it ("tuned", dev.lyrics.model.NativeTuning) and without
         that tuning ("untuned", -Dlyrics.nativeTuning=false, the state before issue 18); PyTorch
         plain and with the same malloc / huge-page environment ("malloc": GLIBC_TUNABLES with
         mmap threshold 32 MiB and trim threshold 1 GiB, THP_MEM_ALLOC_ENABLE=1). It records the
         1-minute load average before every run, then prints the median per side, setting and thread
         count, the best configuration of each side, the ratio of bests and the ratios at equal
         threads (each side at its best setting there), for training and evaluation tokens/s.
         --busy keeps one competing busy loop running throughout (a loaded machine).
  omp    the Java side only, without NativeTuning (which sets OMP_WAIT_POLICY=PASSIVE when it is
         unset), at --omp-threads threads, once per OpenMP wait policy (unset, PASSIVE,
         ACTIVE; libtorch 2.7.1 in DJL ships GNU libgomp, which reads OMP_WAIT_POLICY and
         GOMP_SPINCOUNT, not the Intel runtime's KMP_BLOCKTIME), each without and with a competing
         busy loop on one core that this script starts and stops, alternating within every round.

Threading of the PyTorch side: OMP_NUM_THREADS, MKL_NUM_THREADS and OPENBLAS_NUM_THREADS are set
to the thread count of the run, and llama_ref.py calls torch.set_num_threads(threads) (intra-op;
inter-op stays torch's default, unused by a sequential model). The Java side's environment is
left as the build runs it: Torch.engine(threads) sets libtorch's intra-op threads to the count
and its inter-op threads to 1.

Needs the test classpath (README, "Benchmark") and /usr/bin/python3 with torch
(apt-get install -y python3-torch libopenblas0-pthread). Standard library only.

  /usr/bin/python3 bench/fair-bench.py [--rounds 3] [--steps 10] [--threads 1,2] [--busy] [--settings ...]
  /usr/bin/python3 bench/fair-bench.py omp [--rounds 3] [--steps 6] [--omp-threads 2]
"""
import argparse, os, re, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULE = os.path.join(ROOT, "lyrics-maven-plugin")
REFERENCE = os.path.join(ROOT, "..", "shared", "reference", "llama_ref.py")
CONFIG = ["--vocab", "4096", "--dim", "256", "--layers", "4", "--heads", "4", "--kv-heads", "4",
          "--ffn", "688", "--seq", "256", "--batch", "8"]
RATE = re.compile(r"^(train|eval)_tokens_per_s (\d+)$", re.M)
UTILISATION = re.compile(r"^utilisation_of_matmul_peak train ([\d.]+)% eval ([\d.]+)%$", re.M)
PEAK = re.compile(r"^matmul_2048_fp32_gflops peak ([\d.]+)", re.M)


def java_command(threads, steps, jvm_options=()):
    classpath_file = os.path.join(MODULE, "target", "classpath.txt")
    if not os.path.exists(classpath_file):
        sys.exit(f"{classpath_file} is missing: build the test classpath first (README, \"Benchmark\"):\n"
                 "  mvn -B -q -Ptest -pl lyrics-maven-plugin test-compile dependency:build-classpath "
                 "-Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=test")
    cp = ":".join([os.path.join(MODULE, "target", "test-classes"), os.path.join(MODULE, "target", "classes"),
                   open(classpath_file).read().strip()])
    return (["java"] + list(jvm_options) + ["-cp", cp, "dev.lyrics.train.Benchmark", "--threads", str(threads),
                                            "--steps", str(steps)] + CONFIG)


def torch_command(threads, steps):
    return ["/usr/bin/python3", REFERENCE, "bench", "--threads", str(threads), "--steps", str(steps)] + CONFIG


def torch_env(threads):
    env = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[name] = str(threads)
    return env


def run(label, command, env, timeout):
    load = os.getloadavg()[0]
    start = time.time()
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"{label:<28} load {load:5.2f}  TIMEOUT after {timeout}s", flush=True)
        return None, None, load
    rates = dict(RATE.findall(done.stdout))
    if done.returncode != 0 or len(rates) != 2:
        sys.exit(f"{label} failed (exit {done.returncode}): {' '.join(command)}\n{done.stdout}\n{done.stderr}")
    train, evaluation = int(rates["train"]), int(rates["eval"])
    utilisation = UTILISATION.search(done.stdout)
    peak = PEAK.search(done.stdout)
    # the Java side also measures its matmul peak in the same process, and the utilisation it implies
    extra = (f"  peak {float(peak.group(1)):.0f} GFLOP/s, utilisation train {utilisation.group(1)}% "
             f"eval {utilisation.group(2)}%") if utilisation and peak else ""
    print(f"{label:<28} load {load:5.2f}  train {train:6d}  eval {evaluation:6d}  ({time.time() - start:.0f}s){extra}",
          flush=True)
    return train, evaluation, load


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def variants(a):
    """(side, setting, command(threads), env(threads)) of every configuration a round runs."""
    java_untuned = ["-D" + "lyrics.nativeTuning=false"]
    malloc = {"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824",
              "THP_MEM_ALLOC_ENABLE": "1"}
    every = [
        ("java", "tuned", lambda t: java_command(t, a.steps), lambda t: dict(os.environ)),
        ("java", "untuned", lambda t: java_command(t, a.steps, java_untuned), lambda t: dict(os.environ)),
        ("pytorch", "plain", lambda t: torch_command(t, a.steps), torch_env),
        ("pytorch", "malloc", lambda t: torch_command(t, a.steps), lambda t: dict(torch_env(t), **malloc)),
    ]
    wanted = a.settings.split(",")
    return [v for v in every if v[0] + ":" + v[1] in wanted]


def fair(a):
    threads = [int(t) for t in a.threads.split(",")]
    results = {}  # (side, setting, threads) -> list of (train, eval, load)
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if a.busy else None
    try:
        for r in range(1, a.rounds + 1):
            print(f"round {r}", flush=True)
            for t in threads:
                for side, setting, command, env in variants(a):
                    results.setdefault((side, setting, t), []).append(
                        run(f"  {side:<7} {setting:<7} {t}t", command(t), env(t), a.timeout))
    finally:
        if hog:
            hog.kill()
            hog.wait()
    print(f"\nmedians of {a.rounds} rounds, {a.steps} steps per run (tokens/s; load = 1-min load average before "
          f"each run{'; a competing busy loop ran throughout' if a.busy else ''})")
    print("| side | setting | threads | train tok/s | eval tok/s | load (min-max) |")
    print("|---|---|---|---|---|---|")
    med = {}
    for key in sorted(results, key=lambda k: (k[2], k[0] != "java", k[1])):
        rows = results[key]
        med[key] = (median(x[0] for x in rows), median(x[1] for x in rows))
        loads = [x[2] for x in rows]
        print(f"| {key[0]} | {key[1]} | {key[2]} | {med[key][0]:,.0f} | {med[key][1]:,.0f} | "
              f"{min(loads):.2f}-{max(loads):.2f} |")
    print()
    if {k[0] for k in med} != {"java", "pytorch"}:
        return  # one side only: nothing to compare
    for i, what in enumerate(("train", "eval")):
        best = {side: max((v[i], k[1], k[2]) for k, v in med.items() if k[0] == side) for side in ("java", "pytorch")}
        line = (f"{what}: best java {best['java'][0]:,.0f} ({best['java'][1]}, {best['java'][2]}t), best pytorch "
                f"{best['pytorch'][0]:,.0f} ({best['pytorch'][1]}, {best['pytorch'][2]}t), ratio of bests "
                f"{best['java'][0] / best['pytorch'][0]:.2f}x; at equal threads, each side's best setting: ")
        per = []
        for t in threads:
            j = max(v[i] for k, v in med.items() if k[0] == "java" and k[2] == t)
            p = max(v[i] for k, v in med.items() if k[0] == "pytorch" and k[2] == t)
            per.append(f"{t}t {j / p:.2f}x")
        print(line + ", ".join(per))


def omp(a):
    policies = [("unset", None), ("PASSIVE", "PASSIVE"), ("ACTIVE", "ACTIVE")]
    results = {}
    for r in range(1, a.rounds + 1):
        print(f"round {r}", flush=True)
        for loaded in (False, True):
            hog = None
            if loaded:
                hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            try:
                for name, value in policies:
                    env = dict(os.environ)
                    env.pop("OMP_WAIT_POLICY", None)
                    if value:
                        env["OMP_WAIT_POLICY"] = value
                    label = f"  java {a.omp_threads}t {name:<7} {'+busy' if loaded else '     '}"
                    results.setdefault((loaded, name), []).append(
                        run(label, java_command(a.omp_threads, a.steps, ["-Dlyrics.nativeTuning=false"]), env,
                            a.timeout))
            finally:
                if hog:
                    hog.kill()
                    hog.wait()
    print(f"\nJava {a.omp_threads}t, medians of {a.rounds} rounds, {a.steps} steps per run (tokens/s; "
          "+busy: one competing busy loop; timeouts count as missing)")
    print("| competing load | OMP_WAIT_POLICY | train tok/s | eval tok/s | train runs | load (min-max) |")
    print("|---|---|---|---|---|---|")
    for loaded in (False, True):
        for name, _ in policies:
            rows = results[(loaded, name)]
            loads = [x[2] for x in rows]
            runs = " / ".join("timeout" if x[0] is None else f"{x[0]:,}" for x in rows)
            print(f"| {'busy loop' if loaded else 'none'} | {name} | {median(x[0] for x in rows):,.0f} | "
                  f"{median(x[1] for x in rows):,.0f} | {runs} | {min(loads):.2f}-{max(loads):.2f} |")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", nargs="?", choices=["fair", "omp"], default="fair")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--settings", default="java:tuned,java:untuned,pytorch:plain,pytorch:malloc",
                   help="side:setting pairs each round runs (fair mode)")
    p.add_argument("--busy", action="store_true", help="a competing busy loop on one core throughout (fair mode)")
    p.add_argument("--omp-threads", type=int, default=2)
    p.add_argument("--timeout", type=int, default=300, help="seconds per run before it counts as missing")
    a = p.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())} {os.uname().nodename} "
          f"cpus {os.cpu_count()} load {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    (fair if a.mode == "fair" else omp)(a)


if __name__ == "__main__":
    main()
