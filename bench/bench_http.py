"""Benchmark the HTTP service under gunicorn on loopback (issue 4's speed targets).

Run: .venv/bin/python bench/bench_http.py   -> rewrites the HTTP section of docs/benchmarks.md

What it does: starts the Dockerfile's command (gunicorn, gthread workers, the project's
gunicorn.conf.py) bound to 127.0.0.1 on a free port, waits for /readyz, then drives each endpoint
in turn with ``CLIENTS`` concurrent keep-alive clients, in the same run against the same server:

- ``GET /healthz``: a trivial JSON endpoint of the same app, the framework's floor;
- ``POST /bench/post-floor``: a control route added for the benchmark (``bench_app.py``) that reads
  and parses a JSON body and answers a fixed document the size of an estimate: the most an estimate
  endpoint could reach if the estimate itself cost nothing;
- ``POST /api/v1/estimates/training`` and ``POST /api/v1/estimates/inference``, the latter twice:
  without latency targets and with TTFT/TPOT targets (which cost the core far more). Each is
  measured twice: with *repeated* bodies, rotating over several examples (below), which after the
  first of each the app's result cache answers (``estimator/app/results.py``: a preset, a shared
  permalink, a notebook re-run); and with *every body new* (one number nudged per request), which the
  app must compute each time.

Each endpoint gets ``WARMUP_S`` seconds of unmeasured load, then is measured until ``MAX_REQUESTS``
responses or ``DURATION_S`` seconds, whichever comes first, split over ``ROUNDS`` rounds that take
the endpoints in turn (each after half a second of warm-up), so that a burst of other work on the
machine falls on every endpoint alike. gunicorn is stopped at the end; the whole run takes about
four minutes. The load only ever goes to 127.0.0.1, and every run stops by itself.

Two load generators, each a closed loop of persistent connections (each sends its next request as
soon as the last response is read); latency is from sending the request to having read the whole
response:

- ``--load wrk`` (the default when Debian's ``wrk`` is installed: ``apt-get install wrk``): written
  in C, so it leaves nearly both cores to the server; its Lua script is generated here
  (``wrk_script``) and reports percentiles per round.
- ``--load python``: ``CLIENT_PROCESSES`` processes of http.client threads, which take about as much
  CPU per request as the server does.

The load generator runs on the same machine and takes CPU from the server, as any loopback
benchmark does, and how much changes the figures: with the Python clients the whole machine is
shared, so the ratios to the trivial endpoint come out higher and the latencies longer; with wrk the
server gets the cores, so the ratios come out near the ratio of server CPU per request. Each writes
its own section of ``docs/benchmarks.md``.

``POST /api/v1/compare`` with the article preset (every body new) is measured too, and
``--baseline DIR`` serves another checkout (the code before a change) beside this one, the two
taking turns on every endpoint, so that before and after are measured in the same run.

Targets (issue 14, replacing issue 4's ratio to the GET, which was unreachable by construction), in
server CPU per response against the control POST of the same run: repeated bodies at most 1.15x
the control; every body new, training at most the control + 0.4 ms and serving (with and without
latency targets) the control + 1.0 ms; the article comparison at most 250 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import runpy
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_app import FLOOR_PATH  # noqa: E402
from report import machine, write_section  # noqa: E402

HOST = "127.0.0.1"  # the only address this script sends to
CLIENTS = 32
CLIENT_PROCESSES = 2
WARMUP_S = 2.0
DURATION_S = 12.0
ROUNDS = 5
MAX_REQUESTS = 40_000

TRAINING_BODIES = [
    {"model": "llama-3.1-405b", "tokens": 15.6e12, "hardware": "h100-sxm", "gpus": 16384},
    {"model": "llama-3.1-70b", "tokens": 15e12, "hardware": "h200-sxm", "deadline_days": 60},
    {"model": "deepseek-v3", "tokens": 14.8e12, "hardware": "h800", "precision": "fp8", "gpus": 2048},
    {"params": 7e9, "tokens": 2e12, "hardware": "a100-80gb-sxm", "gpus": 64},
]
#: Serving estimates sized for a load or at maximum throughput, without latency targets.
INFERENCE_BODIES = [
    {"model": "llama-3.1-70b", "hardware": "h100-sxm", "precision": "fp8", "requests_per_s": 10},
    {"model": "llama-2-70b", "hardware": "h100-sxm", "precision": "fp8", "input_tokens": 300, "output_tokens": 294},
    {"model": "llama-3.1-8b", "hardware": "l4", "precision": "fp8", "gpus_per_replica": 1, "batch_size": 16},
    {"model": "llama-3.1-405b", "hardware": "h200-sxm", "precision": "fp8", "requests_per_s": 2},
    {"model": "deepseek-v3", "hardware": "h200-sxm", "precision": "fp8", "requests_per_s": 20},
]
#: Serving estimates under TTFT/TPOT targets, the last being the web form's defaults: the core searches
#: replica shapes and binary-searches the batch for each, so these cost several times more CPU.
TARGET_BODIES = [
    {"model": "llama-3.1-8b", "hardware": "h100-sxm", "requests_per_s": 5, "ttft_ms": 2000, "tpot_ms": 50},
    {"model": "llama-3.1-70b", "hardware": "h100-sxm", "precision": "fp8", "requests_per_s": 10, "tpot_ms": 50},
    {"model": "mixtral-8x7b", "hardware": "h100-sxm", "requests_per_s": 5, "ttft_ms": 2000, "tpot_ms": 50},
    {
        "model": "deepseek-v3",
        "hardware": "h200-sxm",
        "precision": "fp8",
        "requests_per_s": 20,
        "input_tokens": 1000,
        "output_tokens": 500,
        "ttft_ms": 2000,
        "tpot_ms": 50,
    },
]


#: The article comparison (the preset of the README's news piece: the models it names, serving on
#: H200 at 20 requests/s with a TPOT target), as bench_core.py times it in the core.
COMPARE_BODIES = [
    {"workload": "inference", "preset": "article", "hardware": "h200-sxm", "precision": "fp8", "requests_per_s": 20,
     "tpot_ms": 50},
]
#: The same models' training runs compared (each on its published tokens, 2,048 H100s).
TRAINING_COMPARE_BODIES = [{"workload": "training", "preset": "article", "hardware": "h100-sxm", "gpus": 2048}]

#: The number each body changes to make every request of a "new bodies" run one the server has not
#: seen: the first of these the body has (``pue`` for the fixed-batch body, which has no load).
VARIED = ("tokens", "requests_per_s", "pue")

#: Targets (issue 14), in server CPU per response against the control POST of the same run.
CACHED_RATIO_TARGET = 1.15  # repeated bodies: at most this times the control's CPU
FRESH_TRAINING_EXTRA_MS = 0.4  # every body new, training: at most the control's CPU + this
FRESH_SERVING_EXTRA_MS = 1.0  # every body new, serving with and without latency targets
COMPARE_TARGET_MS = 250.0  # the article comparison, every body new: CPU per response


def varied(body: dict[str, Any]) -> tuple[str, float]:
    """The field a "new" body nudges (the first of ``VARIED`` it has) and its value in the body."""
    key = next((k for k in VARIED if k in body), "pue")
    return key, float(body.get(key, 1.2))  # 1.2: a PUE in the seed range


@dataclass(frozen=True)
class Endpoint:
    label: str
    method: str
    path: str
    bodies: tuple[dict[str, Any], ...] = ()
    estimate: bool = False  # held to the targets
    short: str = ""
    #: True: every request is new (one number nudged by a per-request count), so the server computes
    #: each; False: the bodies rotate, so after the first of each the result cache answers.
    distinct: bool = False

    def body(self, count: int) -> bytes | None:
        if not self.bodies:
            return None
        body = self.bodies[count % len(self.bodies)]
        if self.distinct:
            key, base = varied(body)
            body = {**body, key: base * (1 + count * 1e-12)}  # count < 1e10: within 1% of the base
        return json.dumps(body).encode()


def endpoints(targets: bool, compare: bool = True) -> list[Endpoint]:
    training, inference = "/api/v1/estimates/training", "/api/v1/estimates/inference"
    kinds = [
        (f"POST {training}", training, TRAINING_BODIES, "training"),
        (f"POST {inference}, no latency targets", inference, INFERENCE_BODIES, "serving"),
    ]
    if targets:
        kinds.append((f"POST {inference}, TTFT/TPOT targets", inference, TARGET_BODIES, "serving under latency targets"))
    found = [
        Endpoint("GET /healthz (trivial)", "GET", "/healthz"),
        Endpoint(
            "POST /bench/post-floor (control: JSON body in, fixed 12 KB out, no estimate)",
            "POST",
            FLOOR_PATH,
            tuple(TRAINING_BODIES),
        ),
    ]
    for label, path, bodies, short in kinds:
        found.append(Endpoint(f"{label}, repeated bodies", "POST", path, tuple(bodies), True, short))
        found.append(Endpoint(f"{label}, every body new", "POST", path, tuple(bodies), True, f"{short}, new", True))
    if compare:
        found.append(Endpoint("POST /api/v1/compare, article preset, serving, every body new", "POST",
                              "/api/v1/compare", tuple(COMPARE_BODIES), True, "article compare (serving), new", True))
        found.append(Endpoint("POST /api/v1/compare, article preset, training, every body new", "POST",
                              "/api/v1/compare", tuple(TRAINING_COMPARE_BODIES), True,
                              "article compare (training), new", True))
    return found


# --- Server ----------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def gunicorn_settings(env: dict[str, str]) -> dict[str, Any]:
    """workers and threads as gunicorn.conf.py computes them in this environment."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    worker = conf["worker_class"]
    return {"worker_class": getattr(worker, "__name__", worker), "workers": conf["workers"],
            "threads": conf.get("threads", 1)}  # gevent workers: one thread, a greenlet per connection


def start_server(port: int, log: Path, root: Path = ROOT) -> subprocess.Popen[bytes]:
    """gunicorn serving ``root``'s code (this checkout, or ``--baseline``'s, on the same venv)."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    # The Dockerfile's command, with the app plus the benchmark's control route (bench_app.py).
    bench_dir = str(root / "bench")
    path = os.pathsep.join(p for p in (bench_dir, str(root), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "ESTIMATOR_BIND": f"{HOST}:{port}", "PYTHONPATH": path}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(gunicorn), "-c", "gunicorn.conf.py", "bench_app:create_app()"],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/readyz", timeout=2) as response:
                if response.status == 200:
                    return process
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_server(process)
            sys.exit(f"gunicorn did not become ready:\n{log.read_text(errors='replace')}")
        time.sleep(0.2)


def server_cpu_s(master: int) -> float:
    """CPU seconds (user + system) used so far by gunicorn's master and its workers, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if pid == master or ppid == master:
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --- Load ------------------------------------------------------------------------------------------
def _client_process(
    port: int,
    endpoint: Endpoint,
    threads: int,
    first_thread: int,
    warmup_s: float,
    duration_s: float,
    max_requests: int,
    results: Any,
    round_: int = 0,
) -> None:
    """``threads`` closed-loop clients; sends back latencies (s), errors, the measured span and the
    number of responses read in all."""
    start = time.monotonic() + 0.2  # all threads begin together
    measure_from = start + warmup_s
    stop_at = measure_from + duration_s
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    ends: list[float] = []
    sent_total = [0]  # responses read, warm-up included

    def client(index: int) -> None:
        headers = {"Content-Type": "application/json"} if endpoint.method == "POST" else {}
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        mine: list[float] = []
        done = 0
        # Each thread starts at a different body and counts apart from the others, and each round
        # apart from the rounds before (so that "every body new" never repeats one: < 1e10 in all).
        sent = round_ * 10**9 + index * (10**7 + 1)
        time.sleep(max(0.0, start - time.monotonic()))
        try:
            while True:
                now = time.monotonic()
                if now >= stop_at or len(mine) >= max_requests:
                    break
                body = endpoint.body(sent)
                sent += 1
                t0 = time.perf_counter()
                try:
                    connection.request(endpoint.method, endpoint.path, body=body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    status = response.status
                except (OSError, http.client.HTTPException) as exc:  # reconnect and go on, counted
                    connection.close()
                    connection = http.client.HTTPConnection(HOST, port, timeout=30)
                    with lock:
                        errors.append(type(exc).__name__)
                    continue
                elapsed = time.perf_counter() - t0
                done += 1
                if now >= measure_from:
                    if status == 200:
                        mine.append(elapsed)
                    else:
                        with lock:
                            errors.append(f"HTTP {status}")
        finally:
            connection.close()
            with lock:
                latencies.extend(mine)
                ends.append(time.monotonic())
                sent_total[0] += done

    workers = [threading.Thread(target=client, args=(first_thread + i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put((latencies, errors, measure_from, max(ends), sent_total[0]))


@dataclass(frozen=True)
class Result:
    endpoint: Endpoint
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_cpu_ms: float  # gunicorn's CPU time per response (master and workers, app included)
    #: The median of the rounds' rates: a burst of other work on the machine during one round moves
    #: a pooled rate, not the median (rounds take the endpoints in turn, so a burst hits one of them).
    per_s: float


@dataclass
class Segment:
    """One stretch of load on one endpoint: latencies in seconds, errors, measured seconds."""

    latencies: list[float]
    errors: int
    seconds: float
    server_cpu_s: float = 0.0  # gunicorn's CPU over the whole segment, warm-up included
    sent: int = 0  # responses over the whole segment, warm-up included
    #: wrk reports percentiles, not each latency: its p50 and p99 of the segment, and its count.
    p50_s: float | None = None
    p99_s: float | None = None
    ok: int = 0

    @property
    def ok_count(self) -> int:
        """Successful measured responses."""
        return self.ok if self.p99_s is not None else len(self.latencies)


def drive(
    server: subprocess.Popen[bytes],
    port: int,
    endpoint: Endpoint,
    clients: int,
    processes: int,
    warmup_s: float,
    duration_s: float,
    max_requests: int,
    round_: int = 0,
) -> Segment:
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    shares = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    per_process_cap = max_requests // processes
    children = []
    first = 0
    cpu_before = server_cpu_s(server.pid)
    for share in shares:
        per_thread_cap = max(1, per_process_cap // share)
        child = context.Process(
            target=_client_process,
            args=(port, endpoint, share, first, warmup_s, duration_s, per_thread_cap, results, round_),
        )
        child.start()
        children.append(child)
        first += share
    collected = [results.get(timeout=warmup_s + duration_s + 120) for _ in children]
    for child in children:
        child.join(timeout=30)
    cpu = server_cpu_s(server.pid) - cpu_before
    latencies = [x for part in collected for x in part[0]]
    errors = sum(len(part[1]) for part in collected)
    began = min(part[2] for part in collected)
    ended = max(part[3] for part in collected)
    return Segment(latencies, errors, ended - began, cpu, sum(part[4] for part in collected))


def summarise(endpoint: Endpoint, segments: list[Segment]) -> Result:
    """One endpoint over its rounds. With http.client the latencies of all rounds are pooled; wrk
    gives each round's percentiles only, so p50 is the median round's and p99 the worst round's."""
    errors = sum(s.errors for s in segments)
    seconds = sum(s.seconds for s in segments)
    cpu_ms = sum(s.server_cpu_s for s in segments) / max(1, sum(s.sent for s in segments)) * 1e3
    rate = statistics.median(s.ok_count / s.seconds for s in segments)
    if all(s.p99_s is not None for s in segments):
        ok = sum(s.ok for s in segments)
        if not ok:
            sys.exit(f"{endpoint.label}: no successful response ({errors} errors)")
        p50 = statistics.median(s.p50_s for s in segments if s.p50_s is not None)
        p99 = max(s.p99_s for s in segments if s.p99_s is not None)
        return Result(endpoint, ok, seconds, p50 * 1e3, p99 * 1e3, errors, cpu_ms, rate)
    latencies = sorted(x for s in segments for x in s.latencies)
    if not latencies:
        sys.exit(f"{endpoint.label}: no successful response ({errors} errors)")
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return Result(endpoint, len(latencies), seconds, statistics.median(latencies) * 1e3, p99 * 1e3, errors, cpu_ms,
                  rate)


# --- Load with wrk ---------------------------------------------------------------------------------
#: wrk's script: the bodies (or, for "every body new", templates around the number to nudge), a
#: count per thread that never repeats across threads and rounds (as ``Endpoint.body``), and a
#: JSON summary line at the end.
WRK_SCRIPT = """
bodies = {bodies}
templates = {templates}
thread_id = 0
round = 0
count = 0
next_id = 0
wrk.method = "{method}"
wrk.headers["Content-Type"] = "application/json"

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end

function init(args)
  round = tonumber(args[1]) or 0
end

if #bodies > 0 or #templates > 0 then
  function request()
    local n = round * 1000000000 + thread_id * 100000001 + count
    count = count + 1
    if #templates > 0 then
      local t = templates[(n % #templates) + 1]
      return wrk.format(nil, nil, nil, t[1] .. string.format("%.17g", t[2] * (1 + n * 1e-12)) .. t[3])
    end
    return wrk.format(nil, nil, nil, bodies[(n % #bodies) + 1])
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{{"requests": %d, "duration_us": %d, "p50_us": %f, "p99_us": %f, "errors": %d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""


def _lua_text(text: str) -> str:
    assert "]==]" not in text
    return f"[==[{text}]==]"


def wrk_script(endpoint: Endpoint) -> str:
    bodies: list[str] = []
    templates: list[str] = []
    for body in endpoint.bodies:
        if not endpoint.distinct:
            bodies.append(_lua_text(json.dumps(body)))
            continue
        key, base = varied(body)
        prefix, suffix = json.dumps({**body, key: "@NUMBER@"}).split('"@NUMBER@"')
        templates.append(f"{{{_lua_text(prefix)}, {base!r}, {_lua_text(suffix)}}}")
    return WRK_SCRIPT.format(
        bodies="{" + ", ".join(bodies) + "}", templates="{" + ", ".join(templates) + "}", method=endpoint.method
    )


def drive_wrk(
    server: subprocess.Popen[bytes],
    port: int,
    endpoint: Endpoint,
    clients: int,
    warmup_s: float,
    duration_s: float,
    round_: int,
    scripts: Path,
) -> Segment:
    """wrk (2 threads, ``clients`` connections) for a warm-up, then for the measured stretch."""
    script = scripts / f"{abs(hash((endpoint.label, endpoint.distinct)))}.lua"
    script.write_text(wrk_script(endpoint))
    url = f"http://{HOST}:{port}{endpoint.path}"

    def run(seconds: float) -> dict[str, Any]:
        command = ["wrk", "-t2", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "30s", "-s", str(script),
                   url, "--", str(round_)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
        return json.loads([line for line in done.stdout.splitlines() if line.startswith("{")][-1])

    if warmup_s > 0:
        run(warmup_s)
    cpu_before = server_cpu_s(server.pid)
    stats = run(duration_s)
    cpu = server_cpu_s(server.pid) - cpu_before
    seconds = stats["duration_us"] / 1e6
    ok = stats["requests"] - stats["errors"]
    return Segment([], stats["errors"], seconds, cpu, stats["requests"], stats["p50_us"] / 1e6, stats["p99_us"] / 1e6,
                   ok)


# --- Report ----------------------------------------------------------------------------------------
def verdicts(results: list[Result]) -> list[tuple[str, float, float, bool]]:
    """Issue 14's targets: (what, measured, target, met), in server CPU per response against the
    control POST of the same run."""
    control = next(r for r in results if r.endpoint.path == FLOOR_PATH).server_cpu_ms
    out = []
    for r in results:
        if not r.endpoint.estimate:
            continue
        short = r.endpoint.short
        if short.startswith("article compare"):
            out.append((f"{short}: CPU per response", r.server_cpu_ms, COMPARE_TARGET_MS,
                        r.server_cpu_ms <= COMPARE_TARGET_MS))
        elif not r.endpoint.distinct:
            ratio = r.server_cpu_ms / control
            out.append((f"{short}, repeated: x the control's CPU", ratio, CACHED_RATIO_TARGET,
                        ratio <= CACHED_RATIO_TARGET))
        else:
            extra = r.server_cpu_ms - control
            target = FRESH_TRAINING_EXTRA_MS if short.startswith("training") else FRESH_SERVING_EXTRA_MS
            out.append((f"{short}: CPU over the control's, ms", extra, target, extra <= target))
    return out


def report(results: list[Result], settings: dict[str, Any], args: argparse.Namespace, load: tuple[float, float],
           before: list[Result] | None = None) -> str:
    control = next(r for r in results if r.endpoint.path == FLOOR_PATH)
    head = "| endpoint | requests | requests/s | p50 ms | p99 ms | errors | server CPU ms/response | x control |"
    rule = "|---|---|---|---|---|---|---|---|"
    if before:
        head += " before: server CPU ms/response | before: x control |"
        rule += "---|---|"
    rows = [head, rule]
    before_by = {r.endpoint.label: r for r in before or []}
    before_control = before_by.get(control.endpoint.label)
    for r in results:
        row = (f"| {r.endpoint.label} | {r.requests:,} | {r.per_s:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} "
               f"| {r.errors} | {r.server_cpu_ms:.2f} | {r.server_cpu_ms / control.server_cpu_ms:.2f} |")
        old = before_by.get(r.endpoint.label)
        if before and old is not None and before_control is not None:
            row += f" {old.server_cpu_ms:.2f} | {old.server_cpu_ms / before_control.server_cpu_ms:.2f} |"
        elif before:
            row += " – | – |"
        rows.append(row)

    def listing(chosen: list[Result]) -> list[str]:
        return [f"- {what}: {value:.2f} ({'met' if met else 'NOT met'}, target <= {target:g})"
                for what, value, target, met in verdicts(chosen)]

    lines = listing(results)
    if before:
        lines += ["", "The same targets for the code before (`--baseline`), in the same run:", ""] + listing(before)
    server = (
        f"gunicorn {settings['worker_class']}, {settings['workers']} workers x {settings['threads']} threads "
        "(gunicorn.conf.py's defaults on this machine)"
    )
    compared = (
        f" Each endpoint is measured on two servers taking turns, this checkout's and `{args.baseline_label}`'s "
        "(the code before the changes, `--baseline`), so *before* and *after* share the machine's load."
        if before else ""
    )
    return (
        f"## HTTP service, load from {'wrk' if args.load == 'wrk' else 'Python http.client threads'}\n\n"
        f"Measured by `bench/bench_http.py` {machine()}: {server}, bound to 127.0.0.1; "
        f"{args.clients} concurrent keep-alive clients on the same machine, "
        + (
            "driven by wrk (Debian's package, C: 2 threads, each connection sending its next request when the "
            "last response is read). Per endpoint: "
            f"{args.warmup:g} s warm-up, then {args.duration:g} s in all, "
            if args.load == "wrk"
            else f"{args.processes} client processes of threads (http.client, closed loop). Per endpoint: "
            f"{args.warmup:g} s warm-up, then up to {args.duration:g} s or {args.max_requests:,} responses in all, "
        )
        + f"measured in {args.rounds} rounds that take the endpoints in turn (so that load from elsewhere falls on "
        "all of them alike); requests/s is the median of the rounds' rates. Latency is request sent to response read"
        + ("; wrk gives percentiles per round, so p50 is the median round's and p99 the worst round's. "
           if args.load == "wrk" else ". ")
        + "Each estimate endpoint is measured with bodies that rotate over the examples in the script (repeated: "
        "after the first of each, the result cache answers) and with every body new (one number nudged per "
        "request, so each is computed). The server CPU column is gunicorn's CPU time (master and workers, from "
        "/proc) per response: it moves far less with other load on the machine than the rates do, and it is what "
        f"the targets are stated in.{compared} "
        f"1-minute load average just before the run {load[0]:.1f}, at its end {load[1]:.1f}.\n\n"
        "Targets (issue 14), in server CPU per response against the control POST of the same run (a route that "
        "reads and strictly parses the JSON body and answers a fixed 12 KB document: everything an estimate "
        f"request costs but the estimate): repeated bodies at most {CACHED_RATIO_TARGET}x the control; every body "
        f"new, training at most the control + {FRESH_TRAINING_EXTRA_MS} ms, serving (with and without latency "
        f"targets) at most the control + {FRESH_SERVING_EXTRA_MS} ms; the article comparison at most "
        f"{COMPARE_TARGET_MS:g} ms.\n\n"
        + "\n".join(rows)
        + "\n\n"
        + "\n".join(lines)
        + "\n"
    )


def run_rounds(servers: list[tuple[str, subprocess.Popen[bytes], int]], chosen: list[Endpoint],
               args: argparse.Namespace, scripts: Path) -> dict[str, list[Result]]:
    """Every endpoint on every server, round after round, taking turns; results per server."""
    segments: dict[tuple[str, str], list[Segment]] = {(name, e.label): [] for name, _, _ in servers for e in chosen}
    for round_ in range(args.rounds):  # interleaved, so a burst of other load hits all alike
        for endpoint in chosen:
            for name, server, port in servers:
                warmup = args.warmup if round_ == 0 else min(args.warmup, 0.5)
                if args.load == "wrk":
                    segment = drive_wrk(
                        server, port, endpoint, args.clients, warmup, args.duration / args.rounds, round_, scripts
                    )
                else:
                    segment = drive(
                        server,
                        port,
                        endpoint,
                        args.clients,
                        args.processes,
                        warmup,
                        args.duration / args.rounds,
                        args.max_requests // args.rounds,
                        round_,
                    )
                segments[(name, endpoint.label)].append(segment)
                rate = segment.ok_count / segment.seconds
                cpu = segment.server_cpu_s / max(1, segment.sent) * 1e3
                print(f"round {round_ + 1}: {name}: {endpoint.label}: {rate:,.0f} req/s, {cpu:.2f} ms CPU/response",
                      flush=True)
    return {name: [summarise(e, segments[(name, e.label)]) for e in chosen] for name, _, _ in servers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--processes", type=int, default=CLIENT_PROCESSES)
    parser.add_argument("--warmup", type=float, default=WARMUP_S)
    parser.add_argument("--duration", type=float, default=DURATION_S, help="measured seconds per endpoint, all rounds")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--max-requests", type=int, default=MAX_REQUESTS)
    parser.add_argument("--no-targets", action="store_true", help="leave out the requests with latency targets")
    parser.add_argument("--no-compare", action="store_true", help="leave out the article comparison")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--baseline", type=Path, help="another checkout (the code before), served and measured "
                        "beside this one in the same run, on the same venv")
    parser.add_argument("--baseline-label", default="", help="how the report names --baseline (default: its path)")
    parser.add_argument(
        "--load",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator: wrk (Debian's package; the default when installed) or http.client threads",
    )
    args = parser.parse_args()
    args.baseline_label = args.baseline_label or (str(args.baseline) if args.baseline else "")

    load_before = os.getloadavg()[0]
    port = free_port()
    settings = gunicorn_settings({"ESTIMATOR_BIND": f"{HOST}:{port}"})
    with tempfile.TemporaryDirectory() as tmp:
        scripts = Path(tmp)
        servers = [("after" if args.baseline else "this", start_server(port, Path(tmp) / "gunicorn.log"), port)]
        try:
            if args.baseline:
                other = free_port()
                servers.append(("before", start_server(other, Path(tmp) / "baseline.log", args.baseline.resolve()),
                                other))
            chosen = endpoints(targets=not args.no_targets, compare=not args.no_compare)
            measured = run_rounds(servers, chosen, args, scripts)
        finally:
            for _, server, _ in servers:
                stop_server(server)
    results = measured[servers[0][0]]
    for r in results:
        print(f"{r.endpoint.label}: {r.per_s:,.0f} req/s, p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms, "
              f"{r.server_cpu_ms:.2f} ms CPU/response, {r.requests:,} ok, {r.errors} errors", flush=True)
    text = report(results, settings, args, (load_before, os.getloadavg()[0]), measured.get("before"))
    if not args.no_write:  # one section per load generator: they load the machine differently
        write_section("http" if args.load == "wrk" else "http-python", text)
    print(text)


if __name__ == "__main__":
    main()
