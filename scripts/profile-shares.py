#!/usr/bin/env python3
"""Reads `perf script -F comm,tid,ip,sym,dso` of the worker and prints each component's share of its CPU samples.

A sample counts for the innermost managed frame of its stack that belongs to a component, so time in the kernel,
libc or the runtime's native code (a send, a futex wake, an allocation and the collection it triggers) counts for
the code that asked for it, except compiling, which counts as JIT wherever it happens; only a stack with no such frame (the runtime's own threads: background GC, tiering,
the finalizer) counts for the runtime. perf cannot tell GC apart inside libcoreclr (its symbols are stripped):
dotnet-counters' "% Time in GC" gives that share."""
import collections
import re
import sys

COMPONENTS = [
    ("decryption (RSA-OAEP + AES-EAX)", r"QueryCipher|BouncyCastle|System\.Security\.Cryptography|libcrypto|libssl"),
    ("logging, metrics, health", r"Microsoft\.Extensions\.Logging|OpenTelemetry|System\.Diagnostics\.(Metrics|DiagnosticSource)|Cybex\.Report\.Worker\.Health|CommandCounter|HealthChecks"),
    ("polling and claims", r"Cybex\.Report\.Worker\.(Watching|Quotas)|Cybex\.Report\.Domain\.Claims|Cybex\.Report\.Storage\.(Claims|Tdqls|Quotas)|LeaseKeeper"),
    ("MongoDB driver (wire protocol, BSON)", r"\[MongoDB\.(Driver|Bson)\]"),
    ("MassTransit and the RabbitMQ client", r"\[(MassTransit[^\]]*|RabbitMQ\.Client)\]"),
    ("report computation", r"Cybex\.Report\.Domain\.(Reports|Time|Python|Tahoe|Answering|Queries)|Cybex\.Report\.Storage\.(Archive|Identity)|Cybex\.Report\.Worker\.Reporting"),
    ("reply (nonce socket)", r"Cybex\.Report\.Worker\.Replying"),
    ("thread pool: spinning, waking, sleeping", r"LowLevelLifoSemaphore|LowLevelSpinWaiter|PortableThreadPool|SpinWait|Monitor::Wait|ThreadPoolWorkQueue::(Dispatch|Dequeue)"),
    ("socket engine (epoll loop)", r"System\.Net\.Sockets"),
]
# Only where no managed frame of a component is on the stack.
RUNTIME = [
    ("runtime's own threads (background GC, finalizer, stubs)", r"libcoreclr\.so"),
]
PATTERNS = [(name, re.compile(p)) for name, p in COMPONENTS]
RUNTIME_PATTERNS = [(name, re.compile(p)) for name, p in RUNTIME]
OTHER = "other (async machinery, timers, libc)"


def component(frames):
    # Compiling is the JIT's whatever asked for it: a run's first minutes compile every path once.
    if any("libclrjit.so" in frame for frame in frames):
        return "JIT"
    for patterns in (PATTERNS, RUNTIME_PATTERNS):
        for frame in frames:
            for name, pattern in patterns:
                if pattern.search(frame):
                    return name
    return OTHER


def samples(lines):
    frames = []
    for line in lines:
        if line[:1] in ("\t", " ") and line.strip():
            frames.append(line.strip())
        elif frames:
            yield frames
            frames = []
    if frames:
        yield frames


shares = collections.Counter(component(s) for s in samples(sys.stdin))
total = sum(shares.values())
if total == 0:
    sys.exit("no samples")
print(f"\n{total} CPU samples of the worker (perf, 999 Hz)\n")
print("| component | share of the worker's CPU |")
print("| --- | --- |")
for name, count in shares.most_common():
    print(f"| {name} | {100 * count / total:.1f} % |")
