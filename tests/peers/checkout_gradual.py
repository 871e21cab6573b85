#!/usr/bin/env python3
"""SimPy peer of Incident Lab's `checkout-gradual` preset.

The same model the Rust engine (crates/core/src/engine/) runs for the
preset, written as SimPy processes, so the two can be compared for speed on
the same answer: Locust-like users, the front end's worker pool, the Go
checkout's PlaceOrder with its Kafka producer and the `kafkaQueueProblems`
fan-out, the Go heap and collector, the memory cgroup, OOM kills and
kubelet's restarts. Parameters come from the resolved scenario the project's
CLI prints (`incident params NAME --format json`); what that listing lacks
(task steps, flag variant, ...) comes from the preset's TOML files.

Prints one JSON object on stdout. See README.md beside this file.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import subprocess
import sys
import time
import tomllib
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import simpy

REPO = Path(__file__).resolve().parents[2]
KIB = 1024
MIB = 1024 * KIB
US = 1_000_000  # the clock counts integer microseconds, as SimTime does
GOROUTINES_AT_OOM_WINDOW = 10 * US  # as the Rust measure's window


def us(seconds: float) -> int:
    """Seconds to clock ticks, rounded as SimTime::from_secs_f64 rounds."""
    return int(seconds * US + 0.5) if seconds > 0 else 0


# Constants the Rust code hard-codes (not scenario parameters), mirrored.
# crates/core/src/engine/checkout.rs
REQUEST_GOROUTINE_STACK = 8 * KIB
# crates/core/src/model/kafka.rs
MAX_ENTRIES = 100_000
# crates/core/src/model/go_runtime.rs
HEAP_MINIMUM = 4 * MIB
BACKGROUND_MARK_SHARE = 0.25
GC_CPU_LIMIT = 0.5
SCAVENGE_RETAIN = 1.1
SCAVENGE_LIMIT_SHARE = 0.95
LIMIT_HEADROOM_SHARE = 0.03
LIMIT_HEADROOM_MIN = 1 * MIB
FORCED_GC_PERIOD = 120 * US
GC_UTIL_TAU_S = 10.0
# crates/core/src/model/cgroup.rs
MIN_RESIDENT_FILE = 512 * KIB
KUBELET_INITIAL_BACKOFF = 10 * US
KUBELET_MAX_BACKOFF = 300 * US
KUBELET_EXPIRY = 600 * US
# crates/core/src/engine/sampling.rs
HOUSEKEEPING_PERIOD = 1 * US
# crates/core/src/engine/pods.rs
RESTART_LATENCY = 1 * US
THRASH_PENALTY = 4.0

# Why a request ended, as Locust's failure column names it (requests.rs).
OK, TIMEOUT, CONNECT, RESET, DEADLINE, REFUSED = (
    "ok", "timeout", "connect", "reset", "deadline", "refused")


# ---------------------------------------------------------------------------
# The scenario: the CLI's resolved parameters, plus the preset's TOML
# ---------------------------------------------------------------------------

class Params:
    """`incident params NAME --format json`: every parameter path with its
    value; durations are in microseconds, sizes in bytes."""

    def __init__(self, entries: list[dict]):
        self._by_path = {e["path"]: e for e in entries}

    def _entry(self, path: str) -> dict:
        if path not in self._by_path:
            sys.exit(f"checkout_gradual.py: the params JSON has no `{path}`")
        return self._by_path[path]

    def has(self, path: str) -> bool:
        return path in self._by_path

    def number(self, path: str) -> float | None:
        return self._entry(path)["number"]

    def ticks(self, path: str) -> int | None:
        """A duration on our clock (integer microseconds), None if unset."""
        n = self.number(path)
        return None if n is None else int(n)

    def text(self, path: str) -> str:
        return self._entry(path)["value"]

    def flag(self, path: str) -> bool:
        return self.text(path) == "true"


def read_params(args) -> Params:
    if args.params:
        return Params(json.loads(Path(args.params).read_text()))
    command = [args.incident, "params", args.scenario, "--format", "json"]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return Params(json.loads(out.stdout))


def merge(base: dict, overlay: dict) -> dict:
    """`extends`: tables merge key by key, anything else is replaced (as
    crates/core/src/scenario/mod.rs `merge` does)."""
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def read_preset(preset_dir: Path, name: str) -> dict:
    """A preset's TOML with its `extends` chain resolved, base first."""
    for path in (preset_dir / f"{name}.toml", preset_dir / "base" / f"{name}.toml"):
        if path.exists():
            doc = tomllib.loads(path.read_text())
            break
    else:
        sys.exit(f"checkout_gradual.py: no preset or base `{name}` in {preset_dir}")
    base = doc.pop("extends", None)
    return merge(read_preset(preset_dir, base), doc) if base else doc


@dataclass(frozen=True)
class Route:
    wait_s: float
    sigma: float
    cpu_s: float
    memory: float


@dataclass(frozen=True)
class Step:
    service: str
    route: str
    repeat: tuple[int, int] | None


@dataclass(frozen=True)
class Task:
    weight: int
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class GoSpec:
    gogc: float
    gomemlimit: float | None
    procs: float
    globals: float
    overhead: float
    metadata: float
    mark_rate: float
    baseline_live: float
    baseline_goroutines: int
    baseline_stack: float
    descriptor: float
    background_alloc_per_s: float


@dataclass(frozen=True)
class CheckoutSpec:
    kafka_configured: bool
    flag_value: int
    downstream_s: float
    downstream_sigma: float
    deadline: int
    goroutine_stack: float
    waiter_live: float
    request_live: float
    request_garbage: float
    message_garbage: float


@dataclass(frozen=True)
class KafkaSpec:
    msgs_per_s: float
    error_ratio: float
    buffer: int
    retry_time: int
    flush_interval: int


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    kind: str
    replicas: int
    memory_limit: float
    file_active: float
    file_inactive: float
    startup: int
    # worker-pool only
    workers: int = 0
    queue_limit: int = 0
    cpu_cores: float = math.inf
    baseline_memory: float = 0.0
    routes: dict | None = None
    # go-checkout only
    go: GoSpec | None = None
    checkout: CheckoutSpec | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    seed: int
    duration: int
    sample_interval: int
    services: dict
    kafka: KafkaSpec
    users: int
    spawn_rate: float
    start_at: int
    think_min_s: float
    think_max_s: float
    request_timeout: int
    connect_timeout: int
    on_start: tuple[Step, ...]
    tasks: tuple[Task, ...]


def refuse_unported(doc: dict, p: Params) -> None:
    """Features of the Rust model this port leaves out: a scenario using one
    would silently give another answer, so stop instead."""
    problems = []
    if doc.get("timeline"):
        problems.append("timeline actions")
    if doc.get("kafka", {}).get("broker_windows"):
        problems.append("kafka.broker_windows")
    if doc.get("workload", {}).get("syn_retransmit"):
        problems.append("workload.syn_retransmit")
    if p.ticks("workload.stop_at") is not None:
        problems.append("workload.stop_at")
    for name, svc in doc.get("services", {}).items():
        for key in ("liveness", "readiness", "hpa"):
            if svc.get(key):
                problems.append(f"services.{name}.{key}")
        if svc.get("kind") not in ("go-checkout", "worker-pool"):
            problems.append(f"services.{name}.kind = {svc.get('kind')}")
        if p.text(f"services.{name}.restart_policy") != "kubelet":
            problems.append(f"services.{name}.restart_policy")
    if problems:
        sys.exit("checkout_gradual.py: not ported: " + ", ".join(problems))


def parse_step(raw: dict, p: Params, prefix: str) -> Step:
    service, route = raw["call"].split("/", 1)
    repeat = None
    if p.has(f"{prefix}.repeat.0"):
        repeat = (int(p.number(f"{prefix}.repeat.0")), int(p.number(f"{prefix}.repeat.1")))
    return Step(service, route, repeat)


def parse_tasks(doc: dict, p: Params) -> tuple[Task, ...]:
    """Steps from the TOML (the listing has no calls); weights and repeats
    from the listing, which has them resolved."""
    tasks = []
    for i, raw in enumerate(doc["workload"]["tasks"]):
        prefix = f"workload.tasks.{i}"
        steps = tuple(parse_step(s, p, f"{prefix}.steps.{j}")
                      for j, s in enumerate(raw.get("steps", [])))
        tasks.append(Task(int(p.number(f"{prefix}.weight")), steps))
    return tuple(tasks)


def parse_go(p: Params, svc: str) -> GoSpec:
    g = f"services.{svc}.go"
    gogc = p.number(f"{g}.gogc")
    return GoSpec(
        gogc=gogc if gogc is not None else -1.0,
        gomemlimit=p.number(f"{g}.gomemlimit"),
        procs=max(p.number(f"{g}.gomaxprocs"), 1.0),
        globals=p.number(f"{g}.globals"),
        overhead=p.number(f"{g}.runtime_overhead"),
        metadata=p.number(f"{g}.runtime_metadata"),
        mark_rate=max(p.number(f"{g}.mark_bytes_per_cpu_s"), 1.0),
        baseline_live=p.number(f"{g}.baseline_live_heap"),
        baseline_goroutines=int(p.number(f"{g}.baseline_goroutines")),
        baseline_stack=p.number(f"{g}.baseline_stack"),
        descriptor=p.number(f"{g}.goroutine_descriptor"),
        background_alloc_per_s=p.number(f"{g}.background_alloc_per_s"),
    )


def parse_checkout(doc: dict, p: Params, svc: str) -> CheckoutSpec:
    c = f"services.{svc}.checkout"
    flag = doc["services"][svc]["checkout"]["flag"]
    variant = doc["flags"][flag]["default_variant"]
    return CheckoutSpec(
        kafka_configured=p.flag(f"{c}.kafka_configured"),
        flag_value=int(p.number(f"flags.{flag}.variants.{variant}")),
        downstream_s=p.number(f"{c}.downstream") / US,
        downstream_sigma=p.number(f"{c}.downstream_sigma"),
        deadline=p.ticks(f"{c}.deadline"),
        goroutine_stack=p.number(f"{c}.goroutine_stack"),
        waiter_live=p.number(f"{c}.message_heap") + p.number(f"{c}.waiter_heap"),
        request_live=p.number(f"{c}.request_live"),
        request_garbage=p.number(f"{c}.request_garbage"),
        message_garbage=p.number(f"{c}.message_garbage"),
    )


def parse_service(doc: dict, p: Params, name: str) -> ServiceSpec:
    s = f"services.{name}"
    kind = p.text(f"{s}.kind")
    common = dict(
        name=name, kind=kind, replicas=int(p.number(f"{s}.replicas")),
        memory_limit=p.number(f"{s}.memory_limit"),
        file_active=p.number(f"{s}.file_cache_active"),
        file_inactive=p.number(f"{s}.file_cache_inactive"),
        startup=p.ticks(f"{s}.startup"),
    )
    if kind == "go-checkout":
        return ServiceSpec(**common, go=parse_go(p, name),
                           checkout=parse_checkout(doc, p, name))
    cores = p.number(f"{s}.cpu_limit")
    routes = {
        r: Route(p.number(f"{s}.routes.{r}.wait") / US, p.number(f"{s}.routes.{r}.sigma"),
                 p.number(f"{s}.routes.{r}.cpu") / US, p.number(f"{s}.routes.{r}.memory"))
        for r in doc["services"][name]["routes"]
    }
    return ServiceSpec(
        **common, workers=int(p.number(f"{s}.pool.workers")),
        queue_limit=int(p.number(f"{s}.pool.queue_limit")),
        cpu_cores=cores / 1000.0 if cores is not None else math.inf,
        baseline_memory=p.number(f"{s}.pool.baseline_memory"), routes=routes)


def parse_kafka(p: Params) -> KafkaSpec:
    return KafkaSpec(
        msgs_per_s=p.number("kafka.throughput_msgs_per_s"),
        error_ratio=p.number("kafka.error_ratio"),
        buffer=int(p.number("kafka.producer_buffer_msgs")),
        retry_time=us(p.number("kafka.retry_max") * p.number("kafka.retry_backoff") / US),
        flush_interval=p.ticks("kafka.flush_interval"),
    )


def build_scenario(p: Params, doc: dict, seed: int | None, duration: int | None) -> Scenario:
    refuse_unported(doc, p)
    w = doc["workload"]
    return Scenario(
        name=p.text("name"),
        seed=seed if seed is not None else int(p.number("seed")),
        duration=duration if duration is not None else p.ticks("duration"),
        sample_interval=p.ticks("sample_interval"),
        services={n: parse_service(doc, p, n) for n in doc["services"]},
        kafka=parse_kafka(p),
        users=int(p.number("workload.users")),
        spawn_rate=p.number("workload.spawn_rate"),
        start_at=p.ticks("workload.start_at"),
        think_min_s=p.number("workload.think_time.min") / US,
        think_max_s=p.number("workload.think_time.max") / US,
        request_timeout=p.ticks("workload.request_timeout"),
        connect_timeout=p.ticks("workload.connect_timeout"),
        on_start=tuple(Step(*s["call"].split("/", 1), None) for s in w.get("on_start", [])),
        tasks=parse_tasks(doc, p),
    )


# ---------------------------------------------------------------------------
# Random streams (crates/core/src/rng.rs, kernel.rs)
# ---------------------------------------------------------------------------

class Streams:
    """One stream per subsystem, as the Rust kernel keeps them, so a draw
    added to one model does not reshuffle another. Python's Mersenne
    Twister, not Rust's PCG64: the same seed gives another (but as fixed)
    sequence, so the two agree in distribution, not draw for draw."""

    def __init__(self, seed: int):
        self.users = self._stream(seed, "users")
        self.tasks = self._stream(seed, "tasks")
        self.latency = self._stream(seed, "latency")
        self.kafka = self._stream(seed, "kafka")
        self.routing = self._stream(seed, "routing")

    @staticmethod
    def _stream(seed: int, name: str) -> random.Random:
        # A string seed is hashed (SHA-512): stable across runs and machines.
        return random.Random(f"{seed}/{name}")


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(sigma * rng.gauss(0.0, 1.0)) if median > 0 else 0.0


def binomial(rng: random.Random, n: int, p: float) -> int:
    """As rng.rs draws it: one trial each up to 64, a rounded normal above."""
    if n == 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if n <= 64:
        return sum(rng.random() < p for _ in range(n))
    mean = n * p
    draw = math.floor(mean + math.sqrt(mean * (1.0 - p)) * rng.gauss(0.0, 1.0) + 0.5)
    return int(min(max(draw, 0), n))


# ---------------------------------------------------------------------------
# The Go heap and collector (crates/core/src/model/go_runtime.rs)
# ---------------------------------------------------------------------------

class GoHeap:
    """Live heap, garbage, resident pages and stacks; the pacer's goal with
    GOGC and GOMEMLIMIT; the CPU limiter; the scavenger. A collection is
    instant; its mark phase only slows requests that meet it."""

    def __init__(self, go: GoSpec, now: int):
        self.go = go
        self.live = self.in_use = self.resident = go.baseline_live
        self.goroutines = self.peak_goroutines = go.baseline_goroutines
        self.stacks = go.baseline_goroutines * go.baseline_stack
        # Exited goroutines' stacks, cached until the next collection.
        self.dead_stacks = 0.0
        self.gc_count = 0
        self.last_gc = self.next_gc_allowed = self.mark_end = self.recent_at = now
        self.recent_gc_cpu = 0.0
        self.gogc_goal = self._gogc_goal()

    def total(self) -> float:
        """The runtime's resident memory, the container's anonymous memory:
        heap pages, stacks (cached ones too) and overhead."""
        return self.resident + self.stacks + self.dead_stacks + self.go.overhead

    def _non_heap(self) -> float:
        """What GOMEMLIMIT counts beside the heap's own pages."""
        return self.stacks + self.dead_stacks + self.go.overhead + self.go.metadata

    def _limit_goal(self, limit: float) -> float:
        """The limit less non-heap memory, less a 3 % (at least 1 MiB)
        headroom (`memoryLimitHeapGoal`)."""
        room = max(limit - self._non_heap(), 0.0)
        headroom = max(room * LIMIT_HEADROOM_SHARE, LIMIT_HEADROOM_MIN)
        return headroom if room - headroom < headroom else room - headroom

    def _gogc_goal(self) -> float:
        if self.go.gogc <= 0:
            return math.inf
        scan = self.live + self.stacks + self.go.globals
        share = self.go.gogc / 100.0
        return max(self.live + scan * share, HEAP_MINIMUM * share)

    def goal(self) -> float:
        """The GOGC goal capped by what the memory limit leaves today."""
        limit = self.go.gomemlimit
        limit_goal = self._limit_goal(limit) if limit is not None else math.inf
        goal = min(self.gogc_goal, limit_goal)
        return max(goal, self.live) if math.isfinite(goal) else sys.float_info.max

    def allocate_garbage(self, nbytes: float, now: int) -> int | None:
        self.in_use += nbytes
        self.resident = max(self.resident, self.in_use)
        return self.maybe_collect(now)

    def allocate_live(self, nbytes: float, now: int) -> int | None:
        self.live += nbytes
        return self.allocate_garbage(nbytes, now)

    def release_live(self, nbytes: float) -> None:
        self.live = max(self.live - nbytes, 0.0)

    def spawn_goroutines(self, count: int, stack: float) -> None:
        """Stacks come from the cached ones first, then from free heap pages;
        a new high of goroutines adds descriptors to the heap for good
        (`allgs` never shrinks)."""
        nbytes = count * stack
        cached = min(self.dead_stacks, nbytes)
        self.dead_stacks -= cached
        free = max(self.resident - self.in_use, 0.0)
        self.resident -= min(free, nbytes - cached)
        self.goroutines += count
        self.stacks += nbytes
        if self.goroutines > self.peak_goroutines:
            added = (self.goroutines - self.peak_goroutines) * self.go.descriptor
            self.peak_goroutines = self.goroutines
            self.live += added
            self.in_use += added
            self.resident = max(self.resident, self.in_use)

    def exit_goroutines(self, count: int, stack: float) -> None:
        """Freed stacks go to the stack cache: resident and counted against
        the limit until the next collection frees them into heap pages."""
        count = min(count, self.goroutines)
        self.goroutines -= count
        freed = min(count * stack, self.stacks)
        self.stacks -= freed
        self.dead_stacks += freed

    def maybe_collect(self, now: int) -> int | None:
        """Collects if due; returns when a collection the CPU limiter
        deferred may run, else None."""
        due = self.in_use >= self.goal() or now - self.last_gc >= FORCED_GC_PERIOD
        if not due:
            return None
        if now < self.next_gc_allowed:
            return self.next_gc_allowed
        self._collect(now)
        return None

    def _collect(self, now: int) -> None:
        go = self.go
        cpu_s = (self.live + self.stacks + go.globals) / go.mark_rate
        self.gc_count += 1
        self.recent_gc_cpu = self._recent_gc_cpu_at(now) + cpu_s
        self.recent_at = now
        self.last_gc = now
        self.mark_end = now + us(cpu_s / (BACKGROUND_MARK_SHARE * go.procs))
        self.next_gc_allowed = now + us(cpu_s / (GC_CPU_LIMIT * go.procs))
        self.in_use = self.live
        # Cached stacks go back to the heap's pages.
        self.resident += self.dead_stacks
        self.dead_stacks = 0.0
        self.gogc_goal = self._gogc_goal()
        # The scavenger keeps ~110 % of the goal, and mapped memory under
        # 95 % of the limit.
        retain = self.goal() * SCAVENGE_RETAIN
        if go.gomemlimit is not None:
            retain = min(retain, go.gomemlimit * SCAVENGE_LIMIT_SHARE - self._non_heap())
        self.resident = max(min(self.resident, max(retain, self.in_use)), self.in_use)

    def _recent_gc_cpu_at(self, now: int) -> float:
        """The decayed GC CPU seconds at `now`; reading changes nothing."""
        dt_s = max(now - self.recent_at, 0) / US
        return self.recent_gc_cpu * math.exp(-dt_s / GC_UTIL_TAU_S)

    def mutator_slowdown(self, now: int) -> tuple[float, int]:
        """The program's own work runs slower by the collector's recent CPU
        share; a request that meets a mark phase assists it."""
        recent = self._recent_gc_cpu_at(now)
        util = min(recent / (GC_UTIL_TAU_S * self.go.procs), GC_CPU_LIMIT)
        assist = (self.mark_end - now) // 2 if now < self.mark_end else 0
        return 1.0 / (1.0 - util), assist


# ---------------------------------------------------------------------------
# The memory cgroup and kubelet (crates/core/src/model/cgroup.rs)
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class MemoryView:
    anon: float
    file_active: float
    file_inactive: float

    def working_set(self) -> float:
        return self.anon + self.file_active


def charge(limit: float, anon: float, active: float, inactive: float) -> MemoryView | None:
    """The kernel squeezes page cache before it kills; None is the OOM kill:
    anonymous memory leaves no room for the hottest pages."""
    if anon + min(active, MIN_RESIDENT_FILE) > limit:
        return None
    room = limit - anon
    file_active = min(active, room)
    return MemoryView(anon, file_active, min(inactive, room - file_active))


class KubeletBackoff:
    """First crash restarts at once, then 10 s doubling to 300 s; the entry
    expires 10 minutes after its last update."""

    def __init__(self):
        self.backoff: int | None = None
        self.last_update = 0

    def _live_entry(self, at: int) -> int | None:
        if self.backoff is None or at - self.last_update > KUBELET_EXPIRY:
            return None
        return self.backoff

    def delay_after_exit(self, at: int) -> int:
        return self._live_entry(at) or 0

    def on_restart(self, at: int) -> None:
        current = self._live_entry(at)
        self.backoff = KUBELET_INITIAL_BACKOFF if current is None else min(
            current * 2, KUBELET_MAX_BACKOFF)
        self.last_update = at


# ---------------------------------------------------------------------------
# The Kafka producer (crates/core/src/model/kafka.rs)
# ---------------------------------------------------------------------------

ORPHAN = "orphan"  # a main message whose sender no longer waits for it


class Fifo:
    """Messages or waiters in order. A burst of fan-out ones is one int (a
    run); a PlaceOrder's main is its SimPy event; ORPHAN is a main nobody
    waits for. `total` counts messages, `mains` the mains still owned."""

    def __init__(self):
        self.entries: deque = deque()
        self.total = 0
        self.mains = 0

    def push(self, entry) -> None:
        if isinstance(entry, int):
            self.total += entry
            if self.entries and isinstance(self.entries[-1], int):
                self.entries[-1] += entry
                return
        else:
            self.total += 1
            self.mains += 1
        self.entries.append(entry)

    def pop(self, most: int, mains: list) -> tuple[int, int]:
        """Takes up to `most` from the front: returns (fan-out, orphans)
        taken, and appends the mains taken to `mains`."""
        overload = orphans = 0
        left = most
        while left > 0 and self.entries:
            front = self.entries[0]
            if isinstance(front, int):
                take = min(front, left)
                overload += take
                left -= take
                if take == front:
                    self.entries.popleft()
                else:
                    self.entries[0] = front - take
                continue
            self.entries.popleft()
            left -= 1
            if front is ORPHAN:
                orphans += 1
            else:
                mains.append(front)
                self.mains -= 1
        self.total -= most - left
        return overload, orphans

    def find_main(self, main) -> tuple[int, int] | None:
        """Where a main is: its index and the messages ahead of it."""
        ahead = 0
        for i, entry in enumerate(self.entries):
            if entry is main:
                return i, ahead
            ahead += entry if isinstance(entry, int) else 1
        return None

    def remove_main(self, main) -> bool:
        found = self.find_main(main)
        if found is None:
            return False
        del self.entries[found[0]]
        self.total -= 1
        self.mains -= 1
        return True

    def anonymize(self, index: int) -> None:
        self.entries[index] = ORPHAN
        self.mains -= 1

    def take_oldest_main(self):
        for i, entry in enumerate(self.entries):
            if not isinstance(entry, int) and entry is not ORPHAN:
                del self.entries[i]
                self.total -= 1
                self.mains -= 1
                return entry
        return None


class Delivery:
    """What one write step did."""
    __slots__ = ("overload_woken", "mains_ok", "mains_failed", "written", "failed")

    def __init__(self):
        self.overload_woken = self.written = self.failed = 0
        self.mains_ok: list = []
        self.mains_failed: list = []


class Producer:
    """sarama's async producer as the demo uses it: unbuffered Input(),
    Successes() shared by every waiter and served oldest first, failed
    writes retried and then handed to Errors(), where a logger competes with
    the mains still waiting. An error the logger takes wakes nobody: one
    waiter more than successes to come, for good. That is the leak."""

    def __init__(self):
        self.pipeline = Fifo()  # sent, not yet written
        self.waiters = Fifo()   # goroutines waiting on Successes()
        self.retrying: deque = deque()  # (due, count)
        self.surplus = 0        # successes nobody waited for
        self.carry = 0.0        # fractional write capacity between steps
        self.failed_total = 0

    def busy(self) -> bool:
        return self.pipeline.total > 0 or bool(self.retrying)

    def send_main(self, main) -> bool | None:
        """None: the queues are full; True: a waiting success wakes it now."""
        if len(self.pipeline.entries) >= MAX_ENTRIES or len(self.waiters.entries) >= MAX_ENTRIES:
            return None
        self.pipeline.push(main)
        if self.surplus > 0:
            self.surplus -= 1
            self.pipeline.anonymize(len(self.pipeline.entries) - 1)
            return True
        self.waiters.push(main)
        return False

    def send_overload(self, count: int) -> int:
        """Fan-out goroutines send and wait; returns how many the surplus
        wakes at once."""
        if count == 0:
            return 0
        self.pipeline.push(count)
        woken = min(self.surplus, count)
        self.surplus -= woken
        if count > woken:
            self.waiters.push(count - woken)
        return woken

    def main_at_deadline(self, main, buffer: int) -> str:
        """The caller's context ended: 'gone', 'not-accepted' (still blocked
        in Input(): no fan-out) or 'accepted' (goes on to the fan-out)."""
        found = self.pipeline.find_main(main)
        if found is None:
            return "accepted" if self.waiters.remove_main(main) else "gone"
        self.waiters.remove_main(main)
        index, ahead = found
        if ahead >= buffer:
            self.pipeline.remove_main(main)
            return "not-accepted"
        self.pipeline.anonymize(index)
        return "accepted"

    def deliver(self, now: int, dt_s: float, msgs_per_s: float, kafka: KafkaSpec,
                rng: random.Random) -> Delivery:
        """One write step: errors whose retries are spent, then messages at
        the broker's rate, each success to the oldest waiter."""
        out = Delivery()
        self._return_errors(now, rng, out)
        capacity = msgs_per_s * dt_s + self.carry
        budget = math.floor(capacity + 1e-9)
        self.carry = max(capacity - budget, 0.0)
        # The writer blocks while a success has nobody to take it.
        while budget > 0 and self.pipeline.total > 0 and self.surplus == 0:
            step = min(budget, self.pipeline.total)
            mains: list = []
            overload, orphans = self.pipeline.pop(step, mains)
            orders = len(mains) + orphans
            budget -= overload + orders
            failed = binomial(rng, overload, kafka.error_ratio) + binomial(rng, orders, kafka.error_ratio)
            if failed:
                self.retrying.append((now + kafka.retry_time, failed))
            self._succeed(overload + orders - failed, out)
        if self.pipeline.total == 0:
            self.carry = 0.0
        return out

    def _succeed(self, n: int, out: Delivery) -> None:
        out.written += n
        woken, _ = self.waiters.pop(n, out.mains_ok)
        out.overload_woken += woken
        served = out.overload_woken + len(out.mains_ok)
        self.surplus += max(n - served, 0)

    def _return_errors(self, now: int, rng: random.Random, out: Delivery) -> None:
        """A waiting main takes an error with chance k/(k+1), k mains
        waiting; the logger is the other receiver in line."""
        while self.retrying and self.retrying[0][0] <= now:
            _, count = self.retrying.popleft()
            out.failed += count
            self.failed_total += count
            for _ in range(count):
                k = self.waiters.mains
                if k == 0:
                    break
                if rng.random() < k / (k + 1.0):
                    main = self.waiters.take_oldest_main()
                    if main is not None:
                        out.mains_failed.append(main)


# ---------------------------------------------------------------------------
# Pods and their containers (crates/core/src/engine/pods.rs, requests.rs)
# ---------------------------------------------------------------------------

class Container:
    """One start of a pod's container: what dies with it (its runtime, its
    in-flight requests)."""

    def __init__(self, env: simpy.Environment):
        self.env = env
        self.alive = True
        self.inflight: set = set()
        self.runtime = None

    def start_request(self, generator) -> simpy.Process:
        proc = self.env.process(generator)
        self.inflight.add(proc)
        proc.callbacks.append(lambda _event: self.inflight.discard(proc))
        return proc

    def stop(self) -> None:
        """The container dies: every request it serves is reset. The request
        that caused the kill (if any) is running now and resets itself."""
        self.alive = False
        me = self.env.active_process
        for proc in list(self.inflight):
            if proc is me or not proc.is_alive:
                continue
            if isinstance(proc.target, simpy.events.Initialize):
                continue  # not started yet: it will find the container dead
            proc.interrupt(RESET)


class Service:
    def __init__(self, spec: ServiceSpec):
        self.spec = spec
        self.pods: list[Pod] = []
        self.first_oom: int | None = None
        self.oom_kills = 0
        # (time, goroutines) of the samples before the first OOM, the
        # last GOROUTINES_AT_OOM_WINDOW only: Rust's measure reads those.
        self.goroutine_samples: list[tuple[int, int]] = []
        self.peak_working_set = 0.0

    def restarts(self) -> int:
        return sum(p.restarts for p in self.pods)


class Pod:
    """A pod: its container, readiness, restarts and kubelet back-off."""

    def __init__(self, world: World, service: Service):
        self.world, self.env, self.service, self.spec = world, world.env, service, service.spec
        self.restarts = 0
        self.kube = KubeletBackoff()
        # The run's first replicas are running and ready from the start.
        self.container = self._new_container()
        self.ready = True

    def _new_container(self) -> Container:
        container = Container(self.env)
        runtime = GoCheckout if self.spec.kind == "go-checkout" else WorkerPool
        container.runtime = runtime(self.world, self, container)
        return container

    def memory_view(self) -> MemoryView | None:
        return charge(self.spec.memory_limit, self.container.runtime.anon(),
                      self.spec.file_active, self.spec.file_inactive)

    def check_oom(self) -> bool:
        """After memory grew: the OOM killer fires if nothing is left to
        reclaim. True when the container died."""
        if not self.container.alive or self.memory_view() is not None:
            return False
        self._kill_oom()
        return True

    def thrash_factor(self) -> float:
        """Slower while the kernel takes the hot page cache away."""
        view, wanted = self.memory_view(), self.spec.file_active
        if view is None:
            return 1.0 + THRASH_PENALTY
        squeezed = min(max(1.0 - view.file_active / wanted, 0.0), 1.0) if wanted > 0 else 0.0
        return 1.0 + THRASH_PENALTY * squeezed

    def _kill_oom(self) -> None:
        now = self.env.now
        svc = self.service
        if svc.first_oom is None:
            svc.first_oom = now
        svc.oom_kills += 1
        svc.peak_working_set = max(svc.peak_working_set, self.spec.memory_limit)
        self.ready = False
        self.container.stop()
        delay = self.kube.delay_after_exit(now)
        self.env.process(self._restart(max(delay, RESTART_LATENCY)))

    def _restart(self, delay: int):
        """Kubelet starts a new container after the back-off; it serves (and,
        without a readiness probe, is ready) after its start-up time."""
        yield self.env.timeout(delay)
        self.restarts += 1
        self.kube.on_restart(self.env.now)
        container = self.container = self._new_container()
        yield self.env.timeout(self.spec.startup)
        if container.alive:
            self.ready = True


# ---------------------------------------------------------------------------
# The front end's worker pool (crates/core/src/engine/pool.rs)
# ---------------------------------------------------------------------------

class WorkerPool:
    """Workers sharing the CPU limit, a bounded queue in front of them."""

    def __init__(self, world: World, pod: Pod, container: Container):
        self.world, self.env, self.pod, self.container = world, world.env, pod, container
        self.workers = simpy.Resource(self.env, capacity=pod.spec.workers)
        self.inflight_memory = 0.0

    def anon(self) -> float:
        return self.pod.spec.baseline_memory + self.inflight_memory

    def serve(self, route_name: str):
        if not self.container.alive:
            return RESET
        route = self.pod.spec.routes[route_name]
        self.inflight_memory += route.memory
        try:
            if self.pod.check_oom():
                return RESET
            if (self.workers.count >= self.workers.capacity
                    and len(self.workers.queue) >= self.pod.spec.queue_limit):
                return REFUSED
            with self.workers.request() as worker:
                yield worker
                yield self.env.timeout(us(self._service_time(route)))
            return OK
        except simpy.Interrupt:
            return RESET
        finally:
            self.inflight_memory -= route.memory

    def _service_time(self, route: Route) -> float:
        """The route's wait, and its CPU at this worker's share of the
        limit (slower while the page cache is squeezed)."""
        speed = min(self.pod.spec.cpu_cores / self.workers.count, 1.0)
        wait = lognormal(self.world.rng.latency, route.wait_s, route.sigma) if route.wait_s > 0 else 0.0
        return wait + route.cpu_s / speed * self.pod.thrash_factor()


# ---------------------------------------------------------------------------
# The Go checkout (crates/core/src/engine/checkout.rs)
# ---------------------------------------------------------------------------

class GoCheckout:
    """PlaceOrder, the kafkaQueueProblems fan-out, the producer's write
    loop, and the collector's deferred cycles, inside one container."""

    def __init__(self, world: World, pod: Pod, container: Container):
        self.world, self.env, self.pod, self.container = world, world.env, pod, container
        self.spec: CheckoutSpec = pod.spec.checkout
        self.kafka: KafkaSpec = world.sc.kafka
        self.heap = GoHeap(pod.spec.go, self.env.now)
        self.producer = Producer()
        self.gc_pending = False
        self._wake = self.env.event()
        self.env.process(self._producer_loop())

    def anon(self) -> float:
        return self.heap.total()

    # -- the collector ------------------------------------------------------

    def handle_gc(self, deferred_until: int | None) -> None:
        """A collection the CPU limiter deferred gets its own wake-up."""
        if deferred_until is not None and not self.gc_pending:
            self.gc_pending = True
            self.env.process(self._deferred_gc(deferred_until - self.env.now))

    def _deferred_gc(self, delay: int):
        yield self.env.timeout(delay)
        if self.container.alive:
            self.gc_pending = False
            self.handle_gc(self.heap.maybe_collect(self.env.now))

    def background_alloc(self, dt_s: float) -> None:
        """Idle garbage over one housekeeping period (the process's own
        exporters)."""
        bg = self.pod.spec.go.background_alloc_per_s
        self.handle_gc(self.heap.allocate_garbage(bg * dt_s, self.env.now))

    # -- PlaceOrder ---------------------------------------------------------

    def serve(self, _route: str):
        if not self.container.alive:
            return RESET
        try:
            return (yield from self._place_order())
        except simpy.Interrupt:
            return RESET

    def _place_order(self):
        """A goroutine with live buffers; the downstream calls (slower under
        GC and reclaim); then the publish and the fan-out; the caller's
        deadline runs over both."""
        env, spec, heap = self.env, self.spec, self.heap
        heap.spawn_goroutines(1, REQUEST_GOROUTINE_STACK)
        self.handle_gc(heap.allocate_live(spec.request_live, env.now))
        if self.pod.check_oom():
            return RESET
        thrash = self.pod.thrash_factor()
        factor, assist = heap.mutator_slowdown(env.now)
        latency = lognormal(self.world.rng.latency, spec.downstream_s, spec.downstream_sigma)
        downstream = env.timeout(us(latency * factor * thrash) + assist)
        deadline = env.timeout(spec.deadline)
        if downstream not in (yield downstream | deadline):
            self._cleanup()
            return DEADLINE
        if not spec.kafka_configured:
            self._cleanup()
            return OK
        return (yield from self._publish(deadline))

    def _publish(self, deadline: simpy.Event):
        """Sends the order and waits for a success, an error or the deadline."""
        main = self.env.event()
        sent = self.producer.send_main(main)
        if sent is None:
            self._cleanup()
            return DEADLINE
        if sent is False:
            self._kick_producer()
            yield main | deadline
            # Answered already, even if its wake-up is still queued.
            if not main.triggered:
                return self._at_deadline(main)
        return self._answer_main(OK)

    def _at_deadline(self, main: simpy.Event) -> str:
        where = self.producer.main_at_deadline(main, self.kafka.buffer)
        if where == "accepted":
            # The inner select gives up; the fan-out still runs.
            return self._answer_main(DEADLINE)
        self._cleanup()
        return DEADLINE

    def _answer_main(self, outcome: str) -> str:
        """The fan-out, then PlaceOrder returns (unless it was OOM-killed)."""
        self._fan_out()
        if not self.container.alive:
            return RESET
        self._cleanup()
        return outcome

    def _cleanup(self) -> None:
        """The request's goroutine exits: its live buffers become garbage."""
        spec, heap = self.spec, self.heap
        heap.release_live(spec.request_live)
        heap.exit_goroutines(1, REQUEST_GOROUTINE_STACK)
        self.handle_gc(heap.allocate_garbage(spec.request_garbage, self.env.now))

    def _fan_out(self) -> None:
        """`for range ffValue { go func() { Input() <- &msg; <-Successes() }() }`:
        N goroutines, counted, not simulated one by one (as in Rust)."""
        n = max(self.spec.flag_value, 0)
        if n == 0:
            return
        heap = self.heap
        heap.spawn_goroutines(n, self.spec.goroutine_stack)
        deferred = heap.allocate_live(n * self.spec.waiter_live, self.env.now)
        woken = self.producer.send_overload(n)
        self.handle_gc(deferred)
        self._overload_exit(woken)
        self._kick_producer()
        self.pod.check_oom()

    def _overload_exit(self, woken: int) -> None:
        """Woken fan-out goroutines exit: stacks to the stack cache, their
        message copies and sudogs become garbage."""
        if woken:
            self.heap.exit_goroutines(woken, self.spec.goroutine_stack)
            self.heap.release_live(woken * self.spec.waiter_live)

    # -- the producer's write loop -------------------------------------------

    def _kick_producer(self) -> None:
        """A send wakes an idle writer; a busy one is already on its way."""
        if not self._wake.triggered:
            self._wake.succeed()

    def _producer_loop(self):
        """Idle until a send; then one write step every flush interval while
        messages or retries are pending."""
        env, dt = self.env, self.kafka.flush_interval
        while True:
            yield self._wake
            while True:
                woke_mains = self._write_step()
                if woke_mains:
                    # Let the woken PlaceOrders fan out before deciding whether
                    # we are still busy (Rust answers them inside the handler).
                    yield env.timeout(0)
                if not self.container.alive:
                    return
                if not self.producer.busy():
                    break
                yield env.timeout(dt)
                if not self.container.alive:
                    return
            self._wake = env.event()

    def _write_step(self) -> bool:
        """Writes at the broker's rate (slower under GC and reclaim); wakes
        the mains answered. True when some were."""
        now, kafka = self.env.now, self.kafka
        thrash = self.pod.thrash_factor()
        factor, _ = self.heap.mutator_slowdown(now)
        rate = kafka.msgs_per_s / (factor * thrash)
        d = self.producer.deliver(now, kafka.flush_interval / US, rate, kafka, self.world.rng.kafka)
        self._overload_exit(d.overload_woken)
        messages = d.written + d.failed
        if messages:
            garbage = messages * self.spec.message_garbage
            self.handle_gc(self.heap.allocate_garbage(garbage, now))
        for main in d.mains_ok + d.mains_failed:
            main.succeed()
        return bool(d.mains_ok or d.mains_failed)


# ---------------------------------------------------------------------------
# The load generator (crates/core/src/engine/load.rs)
# ---------------------------------------------------------------------------

class LoadGenerator:
    """Locust: users spawned at a rate, each a process picking weighted
    tasks and thinking between them; client and connect timeouts."""

    def __init__(self, world: World):
        self.world, self.env, self.sc = world, world.env, world.sc
        self.started_at: int | None = None
        self.issued = 0
        self.outcomes: dict[str, int] = {}
        self._cum_weights = []
        total = 0
        for task in self.sc.tasks:
            total += task.weight
            self._cum_weights.append(total)

    def spawner(self):
        yield self.env.timeout(self.sc.start_at)
        self.started_at = self.env.now
        gap = us(1.0 / max(self.sc.spawn_rate, 1e-3))
        for i in range(self.sc.users):
            self.env.process(self._user())
            if i + 1 < self.sc.users:
                yield self.env.timeout(gap)

    def _user(self):
        rng = self.world.rng
        for step in self.sc.on_start:
            yield from self._request(step)
        while True:
            task = rng.tasks.choices(self.sc.tasks, cum_weights=self._cum_weights)[0]
            for step in task.steps:
                for _ in range(self._repeats(step)):
                    yield from self._request(step)
            think = rng.users.uniform(self.sc.think_min_s, self.sc.think_max_s)
            yield self.env.timeout(us(think))

    def _repeats(self, step: Step) -> int:
        if step.repeat is None:
            return 1
        low, high = step.repeat
        return self.world.rng.tasks.randint(low, high)

    def _request(self, step: Step):
        """One request: to a ready pod, raced against the client timeout;
        without one, a connect that fails after its timeout."""
        env, sc = self.env, self.sc
        self.issued += 1
        pod = self.world.pick_pod(step.service)
        if pod is None:
            yield env.timeout(min(sc.connect_timeout, sc.request_timeout))
            outcome = CONNECT if sc.connect_timeout < sc.request_timeout else TIMEOUT
        else:
            server = pod.container.start_request(pod.container.runtime.serve(step.route))
            done = yield server | env.timeout(sc.request_timeout)
            outcome = done[server] if server in done else TIMEOUT
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


# ---------------------------------------------------------------------------
# The world: pods, load, sampling (crates/core/src/engine/sampling.rs)
# ---------------------------------------------------------------------------

class World:
    def __init__(self, sc: Scenario):
        self.sc = sc
        self.env = simpy.Environment()
        self.rng = Streams(sc.seed)
        self.services = {name: Service(spec) for name, spec in sc.services.items()}
        for svc in self.services.values():
            svc.pods = [Pod(self, svc) for _ in range(svc.spec.replicas)]
        self.load = LoadGenerator(self)
        # Housekeeping first, so at t=0 the sample sees its work.
        self.env.process(self._housekeeper())
        self.env.process(self._sampler())
        self.env.process(self.load.spawner())

    def pick_pod(self, service: str) -> Pod | None:
        """kube-proxy's random mode, uniform over the ready pods."""
        ready = [p for p in self.services[service].pods if p.ready]
        if len(ready) <= 1:
            return ready[0] if ready else None
        return ready[self.rng.routing.randrange(len(ready))]

    def _housekeeper(self):
        """Every HOUSEKEEPING_PERIOD, to the end inclusive, whatever the
        sample interval (sampling.rs `on_housekeeping`): each Go process's
        idle allocation (and any GC and OOM it brings)."""
        dt_s = HOUSEKEEPING_PERIOD / US
        while True:
            for svc in self.services.values():
                for pod in svc.pods:
                    if pod.container.alive and isinstance(pod.container.runtime, GoCheckout):
                        pod.container.runtime.background_alloc(dt_s)
                        pod.check_oom()
            if self.env.now + HOUSEKEEPING_PERIOD > self.sc.duration:
                return
            yield self.env.timeout(HOUSEKEEPING_PERIOD)

    def _sampler(self):
        """Every sample interval, to the end inclusive: the numbers."""
        while True:
            for svc in self.services.values():
                self._sample(svc)
            if self.env.now + self.sc.sample_interval > self.sc.duration:
                return
            yield self.env.timeout(self.sc.sample_interval)

    def _sample(self, svc: Service) -> None:
        goroutines = 0
        for pod in svc.pods:
            if not pod.container.alive:
                continue
            view = pod.memory_view()
            if view is not None:
                svc.peak_working_set = max(svc.peak_working_set, view.working_set())
            if isinstance(pod.container.runtime, GoCheckout):
                goroutines = max(goroutines, pod.container.runtime.heap.goroutines)
        if svc.first_oom is None:
            now = self.env.now
            old = svc.goroutine_samples
            kept = [(t, g) for t, g in old if t > now - GOROUTINES_AT_OOM_WINDOW]
            svc.goroutine_samples = (kept or old[-1:]) + [(now, goroutines)]

    def run(self) -> int:
        """Runs to the end (events at the end included, as in Rust) and
        returns the number of SimPy events processed."""
        env, end, events = self.env, self.sc.duration, 0
        while env.peek() <= end:
            env.step()
            events += 1
        return events


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def parse_duration(text: str) -> int:
    """`25m`, `90s`, `1h`, `1500ms` or plain seconds, to clock ticks."""
    m = re.fullmatch(r"\s*([0-9.]+)\s*(ms|s|m|h)?\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r}")
    scale = {"ms": 1e-3, "s": 1.0, None: 1.0, "m": 60.0, "h": 3600.0}[m.group(2)]
    return us(float(m.group(1)) * scale)


def parse_args(argv: list[str]):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--params", help="JSON of `incident params NAME --format json`")
    src.add_argument("--incident", help="the incident binary, run to get the params "
                     "(default: target/release/incident of this repository)")
    ap.add_argument("--scenario", default="checkout-gradual",
                    help="preset name for --incident (default: checkout-gradual)")
    ap.add_argument("--presets", type=Path, default=REPO / "crates/core/presets",
                    help="folder of the preset TOML files")
    ap.add_argument("--seed", type=int, help="override the scenario's seed")
    ap.add_argument("--duration", type=parse_duration, help="override the duration: 25m, 90s")
    args = ap.parse_args(argv)
    if not args.params and not args.incident:
        args.incident = str(REPO / "target/release/incident")
    return args


def goroutines_at_first_oom(svc: Service) -> int | None:
    """As Rust's measure: the lower median of the samples over the 10 s
    before the first OOM kill, or the last sample when none is that close."""
    before = [(t, g) for t, g in svc.goroutine_samples if t < svc.first_oom]
    if not before:
        return None
    window = sorted(g for t, g in before if t > svc.first_oom - GOROUTINES_AT_OOM_WINDOW)
    if not window:
        return before[-1][1]
    return window[(len(window) - 1) // 2]


def summary(world: World, events: int, wall_s: float) -> dict:
    checkout = next(s for s in world.services.values() if s.spec.kind == "go-checkout")
    load_at = world.load.started_at
    first_oom_min = None
    if checkout.first_oom is not None and load_at is not None:
        first_oom_min = round((checkout.first_oom - load_at) / US / 60.0, 3)
    return {
        "peer": "simpy",
        "simpy_version": simpy.__version__,
        "first_oom_after_load_min": first_oom_min,
        "restarts": checkout.restarts(),
        "events": events,
        "sim_duration_s": world.sc.duration / US,
        "wall_s": round(wall_s, 4),
        # Beyond the required fields: what else to compare with Rust.
        "scenario": world.sc.name,
        "seed": world.sc.seed,
        "oom_kills": checkout.oom_kills,
        "goroutines_at_first_oom": goroutines_at_first_oom(checkout) if first_oom_min is not None else None,
        "peak_working_set_mib": round(checkout.peak_working_set / MIB, 3),
        "requests_issued": world.load.issued,
        "request_outcomes": dict(sorted(world.load.outcomes.items())),
    }


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    params = read_params(args)
    doc = read_preset(args.presets, params.text("name"))
    sc = build_scenario(params, doc, args.seed, args.duration)
    started = time.perf_counter()
    world = World(sc)
    events = world.run()
    wall_s = time.perf_counter() - started
    print(json.dumps(summary(world, events, wall_s)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
