#!/usr/bin/env python3
"""Helpers for bench/run.sh: test data, a parallel invoice loader, a latency
sampler and the final table.  Standard library only, so that `make bench`
needs nothing beyond the Debian python3.  Every network call goes to the
loopback address that run.sh passes in.

  tool.py freeport
  tool.py files DIR COUNT SIZE PREFIX        random files; prints "sha256 size path"
  tool.py variants SRC DIR COUNT             copies of SRC differing in their first 16 bytes
  tool.py invoice NAME VERSION OUT FILE...   an unsigned invoice listing FILE... (*.wasm as application/wasm)
  tool.py fakeinvoice NAME VERSION N OUT     an invoice of N labels whose bytes nobody has
  tool.py oci DIR TAG FILE...                an OCI image layout, one layer per FILE
  tool.py populate URL N THREADS             posts N small invoices (name, authors, description vary)
  tool.py latency URL COUNT PATH...          COUNT sequential GETs over one connection; "p50 p99 n" (ms)
  tool.py rss PID OUT                        samples VmRSS until PID exits or OUT.stop appears
  tool.py wasm OUT SIZE                      a core module of about SIZE bytes (10K, 1M, ...) of code, via wat2wasm
  tool.py wasmvariants SRC DIR COUNT         COUNT valid variants (*.wasm) and COUNT non-wasm twins (*.bin)
  tool.py aotwait URL NAME VERSION SHA SECS TARGET...
                                             waits for the AOT builds; "target build_s since_start_s size" each
  tool.py aotbuild WHARFD MODULE TARGET DIR MAX CPU MEM WALL
                                             one `wharfd --aot-worker` run; "wall_s peak_rss_kib opt_level"
  tool.py record RESULTS KEY VALUE           appends one measurement
  tool.py get RESULTS KEY                    the last value recorded for KEY
  tool.py report RESULTS JSON_OUT            prints the table and writes it as JSON
"""
import hashlib
import http.client
import json
import os
import re
import socket
import statistics
import sys
import threading
import time
import urllib.parse

CHUNK = 1 << 20


def freeport():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def files(d, count, size, prefix):
    os.makedirs(d, exist_ok=True)
    for i in range(int(count)):
        path = os.path.join(d, "%s%03d.bin" % (prefix, i))
        data = os.urandom(int(size))
        with open(path, "wb") as f:
            f.write(data)
        print(hashlib.sha256(data).hexdigest(), len(data), path)


def variants(src, d, count):
    """Distinct parcels without generating gigabytes of fresh randomness."""
    os.makedirs(d, exist_ok=True)
    with open(src, "rb") as f:
        body = f.read()
    for i in range(int(count)):
        data = b"%016d" % i + body[16:]
        path = os.path.join(d, "v%02d.bin" % i)
        with open(path, "wb") as f:
            f.write(data)
        print(hashlib.sha256(data).hexdigest(), len(data), path)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(CHUNK)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def label_toml(sha, size, name):
    media = "application/wasm" if name.endswith(".wasm") else "application/octet-stream"
    return ('[[parcel]]\n[parcel.label]\nsha256 = "%s"\nmediaType = '
            '"%s"\nname = "%s"\nsize = %d\n\n' % (sha, media, name, size))


def invoice(name, version, out, *paths):
    parts = ['bindleVersion = "1.0.0"\n\n[bindle]\nname = "%s"\nversion = "%s"\n\n'
             % (name, version)]
    for p in paths:
        parts.append(label_toml(sha256_file(p), os.path.getsize(p), os.path.basename(p)))
    with open(out, "w") as f:
        f.write("".join(parts))


def fakeinvoice(name, version, n, out):
    parts = ['bindleVersion = "1.0.0"\n\n[bindle]\nname = "%s"\nversion = "%s"\n\n'
             % (name, version)]
    for i in range(int(n)):
        sha = hashlib.sha256(b"%s/%s/%d" % (name.encode(), version.encode(), i)).hexdigest()
        parts.append(label_toml(sha, 1000 + i, "p%04d.bin" % i))
    with open(out, "w") as f:
        f.write("".join(parts))


def _oci_blob(d, data):
    sha = hashlib.sha256(data).hexdigest()
    with open(os.path.join(d, "blobs", "sha256", sha), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + sha, "size": len(data)}


def oci(d, tag, *paths):
    """The release as an OCI image: each file one uncompressed layer, so the
    registry holds exactly the bytes Wharf holds, one blob per parcel."""
    os.makedirs(os.path.join(d, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(d, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    layers = []
    for p in paths:
        with open(p, "rb") as f:
            desc = _oci_blob(d, f.read())
        desc["mediaType"] = "application/vnd.oci.image.layer.v1.tar"
        layers.append(desc)
    config = {"architecture": "amd64", "os": "linux",
              "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in layers]}}
    cdesc = _oci_blob(d, json.dumps(config).encode())
    cdesc["mediaType"] = "application/vnd.oci.image.config.v1+json"
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": cdesc, "layers": layers}
    mdesc = _oci_blob(d, json.dumps(manifest).encode())
    mdesc["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
    mdesc["annotations"] = {"org.opencontainers.image.ref.name": tag}
    with open(os.path.join(d, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [mdesc]}, f)


WORDS = ("amber basil cedar delta ember fjord garnet harbor indigo juniper kelp lumen "
         "maple nectar onyx pepper quartz raven sierra tundra umber violet willow xenon "
         "yarrow zephyr alpine bronze cobalt dune echo flint").split()


def _conn(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=60), u.path.rstrip("/")


def _small_invoice(i):
    w = WORDS
    n = len(w)
    name = "%s.example/%s-%s/app%d" % (w[i % n], w[(i // n) % n], w[(i // 7) % n], i // 10)
    sha = hashlib.sha256(b"%d" % i).hexdigest()
    return ('bindleVersion = "1.0.0"\n\n[bindle]\nname = "%s"\nversion = "1.%d.0"\n'
            'authors = ["%s Dev <dev%d@example.com>"]\ndescription = "A %s %s service, build %d"\n\n'
            % (name, i % 10, w[(i // 3) % n].title(), i % 97, w[(i // 5) % n], w[(i // 11) % n], i)
            + label_toml(sha, 100 + i % 1000, "app.wasm"))


def populate(url, n, threads):
    n, threads = int(n), int(threads)
    errors = []
    counter = iter(range(n))
    lock = threading.Lock()

    def work():
        conn, base = _conn(url)
        while True:
            with lock:
                i = next(counter, None)
            if i is None or errors:
                return
            body = _small_invoice(i).encode()
            try:
                conn.request("POST", base + "/_i", body, {"Content-Type": "application/toml"})
                r = conn.getresponse()
                r.read()
            except (OSError, http.client.HTTPException) as e:
                errors.append("invoice %d: %s" % (i, e))
                return
            if r.status not in (201, 202):
                errors.append("invoice %d: HTTP %d" % (i, r.status))

    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        sys.exit("populate: " + errors[0])


def latency(url, count, *paths):
    """Sequential requests, so each sample is one request's own latency; stops
    early (after at least 20) when BENCH_LATENCY_SECONDS have passed, so a slow
    server cannot stretch the run past its budget."""
    conn, base = _conn(url)
    samples = []
    deadline = time.monotonic() + float(os.environ.get("BENCH_LATENCY_SECONDS", "15"))
    for k in range(int(count)):
        if k >= 20 and time.monotonic() > deadline:
            break
        path = base + paths[k % len(paths)]
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"Accept": "application/json"})
        r = conn.getresponse()
        r.read()
        samples.append((time.perf_counter() - t0) * 1000.0)
        if r.status != 200:
            sys.exit("latency: GET %s: HTTP %d" % (path, r.status))
    samples.sort()
    p50 = samples[len(samples) // 2]
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print("%.3f %.3f %d" % (p50, p99, len(samples)))


def rss(pid, out):
    peak = 0
    status = "/proc/%s/status" % pid
    while not os.path.exists(out + ".stop"):
        try:
            with open(status) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        peak = max(peak, int(line.split()[1]))
        except OSError:
            break
        time.sleep(0.02)
    with open(out, "w") as f:
        f.write("%d\n" % peak)


def _size(text):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    if text[-1:].upper() in mult:
        return int(float(text[:-1]) * mult[text[-1:].upper()])
    return int(text)


def _wat_func(i, rounds):
    """One function: a counted loop of integer arithmetic whose constants
    depend on i, so no two functions are alike and a C compiler cannot fold
    them together; the shape of hand-written hot loops, not of data."""
    def c(k):
        return ((i * 2654435761 + k * 40503) & 0x7fffffff) | 1
    out = ["(func $f%d (param $a i32) (param $b i32) (result i32) (local $i i32) (local $x i64)\n"
           "(local.set $x (i64.extend_i32_u (local.get $a)))\n"
           "(block $d (loop $l (br_if $d (i32.ge_u (local.get $i) (local.get $b)))\n" % i]
    for r in range(rounds):
        out.append("(local.set $a (i32.add (i32.mul (local.get $a) (i32.const %d))"
                   " (i32.xor (local.get $i) (i32.const %d))))\n"
                   "(local.set $x (i64.rotl (i64.add (local.get $x) (i64.extend_i32_u (local.get $a)))"
                   " (i64.const %d)))\n" % (c(2 * r), c(2 * r + 1), (i + r) % 63 + 1))
    out.append("(local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))\n"
               "(i32.xor (local.get $a) (i32.wrap_i64 (local.get $x))))\n")
    return "".join(out)


def _wat_module(path, n):
    """n functions, all kept alive through a table (a compiler may drop an
    unreferenced static function, which would make an AOT build look cheap),
    and no imports (the AOT builder declines modules with imports)."""
    with open(path, "w") as f:
        f.write("(module\n(table %d funcref)\n(elem (i32.const 0) func" % n)
        for i in range(n):
            f.write(" $f%d" % i)
        f.write(")\n")
        for i in range(n):
            f.write(_wat_func(i, 8))
        f.write('(export "f0" (func $f0))\n(export "last" (func $f%d)))\n' % (n - 1))


def _wat2wasm(wat, out):
    import subprocess
    subprocess.run(["wat2wasm", wat, "-o", out], check=True)
    os.unlink(wat)
    return os.path.getsize(out)


def wasm(out, size):
    """Sized from two small samples (the bytes one more function costs), so
    that the module lands within a function's size of the target."""
    target = _size(size)
    _wat_module(out + ".wat", 1)
    one = _wat2wasm(out + ".wat", out)
    _wat_module(out + ".wat", 65)
    per = (_wat2wasm(out + ".wat", out) - one) / 64.0
    n = max(1, int(round((target - one) / per)) + 1)
    _wat_module(out + ".wat", n)
    _wat2wasm(out + ".wat", out)
    print(sha256_file(out), os.path.getsize(out), out)


def wasmvariants(src, d, count):
    """Distinct valid modules of one size: each ends in a custom section
    holding its number.  Each has a twin of the same bytes with a broken
    magic, which wharfd stores without validating (it validates what is
    labelled application/wasm or starts with the magic)."""
    os.makedirs(d, exist_ok=True)
    with open(src, "rb") as f:
        body = f.read()
    name = b"wharf-bench"
    for i in range(int(count)):
        payload = bytes([len(name)]) + name + b"%08d" % i
        data = body + bytes([0, len(payload)]) + payload
        for path, blob in ((os.path.join(d, "v%02d.wasm" % i), data),
                           (os.path.join(d, "v%02d.bin" % i), b"\x01" + data[1:])):
            with open(path, "wb") as f:
                f.write(blob)
            print(hashlib.sha256(blob).hexdigest(), len(blob), path)


def aotwait(url, name, version, sha, secs, *targets):
    """Polls /_m while the builds run.  With one builder the builds follow
    each other, so a target's build time is from when /_m first shows it
    building to when it shows it done, not from the upload."""
    conn, base = _conn(url)
    t0 = time.monotonic()
    deadline = t0 + float(secs)
    seen, done, bad = {}, {}, {}
    while len(done) + len(bad) < len(targets):
        if time.monotonic() > deadline:
            sys.exit("aotwait: not built within %s s: %s" % (
                secs, " ".join(t for t in targets if t not in done and t not in bad)))
        conn.request("GET", "%s/_m/%s/%s@%s" % (base, name, version, sha),
                     headers={"Accept": "application/json"})
        r = conn.getresponse()
        body = r.read()
        now = time.monotonic()
        if r.status != 200:
            sys.exit("aotwait: GET _m: HTTP %d %s" % (r.status, body[:200]))
        for b in json.loads(body).get("aot", []):
            t, state = b.get("target"), b.get("state")
            if t not in targets or t in done or t in bad:
                continue
            if state == "building":
                seen.setdefault(t, now)
            elif state == "done":
                done[t] = (now, b.get("size"))
            elif state in ("failed", "declined"):
                bad[t] = "%s: %s" % (state, b.get("reason"))
        time.sleep(0.05)
    for t in targets:
        if t in bad:
            print(t, "n/a n/a n/a", file=sys.stdout)
            print("aotwait: %s %s" % (t, bad[t]), file=sys.stderr)
            continue
        end, size = done[t]
        # A build shorter than one poll is never seen building: it began
        # when the one before it ended, or at the upload.
        start = seen.get(t, max([t0] + [e for e, _ in done.values() if e < end]))
        conn.request("GET", "%s/_a/%s/%s@%s/%s" % (base, name, version, sha, t))
        r = conn.getresponse()
        got = r.read()
        if r.status != 200 or len(got) != size:
            sys.exit("aotwait: GET _a for %s: HTTP %d, %d bytes (expected %s)" % (
                t, r.status, len(got), size))
        print(t, "%.3f" % (end - start), "%.3f" % (end - t0), size)


def aotbuild(wharfd, module, target, d, max_bytes, cpu, mem, wall):
    """The build that wharfd's queue runs, run here so that wait4 can report
    its peak memory: the worker's ru_maxrss covers the worker and every
    descendant it waited for (wasm2c, gcc, cc1, as, ld), as the largest of
    them, which is cc1."""
    os.makedirs(d, exist_ok=True)
    out, log = os.path.join(d, "artifact.so"), os.path.join(d, "build.log")
    argv = [wharfd, "--aot-worker", module, target, out, log, max_bytes, cpu, mem, wall]
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execv(wharfd, argv)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    secs = time.perf_counter() - t0
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        first = ""
        if os.path.exists(log):
            with open(log, errors="replace") as f:
                first = f.readline().strip()
        sys.exit("aotbuild: %s for %s: status %d: %s" % (module, target, status, first))
    level = "-O?"
    with open(log, errors="replace") as f:
        for line in f:
            m = re.search(r"gcc .*?(-O[0-3sgz]?)\s", line)
            if line.startswith("$ ") and m:
                level = m.group(1)
                break
    print("%.3f %d %s" % (secs, ru.ru_maxrss, level))


def record(results, key, value):
    with open(results, "a") as f:
        f.write(json.dumps({"key": key, "value": value}) + "\n")


def get(results, key):
    """The last value recorded for KEY, or nothing."""
    value = None
    with open(results) as f:
        for line in f:
            e = json.loads(line)
            if e["key"] == key:
                value = e["value"]
    if value is not None:
        print(value)


# Each row: workload, unit, wharf key, [(peer label, key)], whether more is
# better, goal text, and a test of the goal given (wharf, {label: peer}).
def _rows():
    def ratio_ok(peer, at_least):
        return lambda w, p: p.get(peer) is not None and _ratio(w, p[peer], True) >= at_least

    def time_ok(peer, at_least):
        return lambda w, p: p.get(peer) is not None and _ratio(w, p[peer], False) >= at_least

    return [
        ("invoice GET (wrk -c64)", "req/s", "inv_get.wharf.rps",
         [("nginx 1KiB", "inv_get.nginx.rps"), ("registry manifest", "inv_get.registry.rps")], True,
         ">= 0.5x nginx", ratio_ok("nginx 1KiB", 0.5)),
        ("invoice GET p99 (wrk -c64)", "ms", "inv_get.wharf.p99",
         [("nginx 1KiB", "inv_get.nginx.p99"), ("registry manifest", "inv_get.registry.p99")], False,
         "< 5 ms", lambda w, p: w < 5),
        ("parcel GET 1 MiB (wrk -c16)", "MiB/s", "get1m.wharf",
         [("nginx", "get1m.nginx"), ("registry blob", "get1m.registry")], True,
         ">= 0.8x nginx", ratio_ok("nginx", 0.8)),
        ("parcel GET 64 MiB (curl)", "MiB/s", "get64m.wharf",
         [("nginx", "get64m.nginx"), ("registry blob", "get64m.registry")], True,
         ">= 0.9x nginx", ratio_ok("nginx", 0.9)),
        ("parcel upload 64 MiB, durable", "MiB/s", "up64m.wharf",
         [("dd conv=fsync", "up64m.dd"), ("registry blob", "up64m.registry")], True,
         ">= 0.8x dd, >= 1.5x registry",
         lambda w, p: ratio_ok("dd conv=fsync", 0.8)(w, p) and ratio_ok("registry blob", 1.5)(w, p)),
        ("16 concurrent uploads: wharfd peak RSS", "MiB", "conc.wharf.rss", [], False,
         "< 128 MiB", lambda w, p: w < 128),
        ("16 concurrent uploads: aggregate rate", "MiB/s", "conc.wharf.rate", [], True,
         "(info)", None),
        ("query 100k strict p50", "ms", "query.strict.p50", [], False, "< 5 ms", lambda w, p: w < 5),
        ("query 100k strict p99", "ms", "query.strict.p99", [], False, "< 20 ms", lambda w, p: w < 20),
        ("query 100k standard p50", "ms", "query.standard.p50", [], False, "< 5 ms",
         lambda w, p: w < 5),
        ("query 100k standard p99", "ms", "query.standard.p99", [], False, "< 20 ms",
         lambda w, p: w < 20),
        ("POST invoice, 1000 parcels", "ms", "post1000.wharf", [], False, "< 50 ms",
         lambda w, p: w < 50),
        ("push 200 parcels, 100 MiB", "s", "push.wharf", [("skopeo copy", "push.skopeo")], False,
         "faster than skopeo", time_ok("skopeo copy", 1.0)),
        ("pull 200 parcels, 100 MiB", "s", "pull.wharf", [("skopeo copy", "pull.skopeo")], False,
         ">= 3x faster than skopeo", time_ok("skopeo copy", 3.0)),
        ("skopeo copy into /v2, 200 layers", "s", "ocipush.wharf",
         [("into registry", "ocipush.registry")], False, "(info)", None),
        ("skopeo copy out of /v2, 200 layers", "s", "ocipull.wharf",
         [("out of registry", "ocipull.registry")], False, "(info)", None),
    ]


def _wasm_rows(order, raw):
    """Issue 5's rows, one per size (and target) that run.sh measured, in
    the order it measured them; the sizes and targets are settings."""
    rows, done = [], set()

    def size_of(key):
        b = raw.get(key)
        return " (%s B)" % b if b else ""

    for k in order:
        parts = k.split(".")
        if parts[0] == "wval" and parts[-1] == "mibs" and len(parts) == 3:
            sz = parts[1]
            rows.append(("wasm validation, %s module%s" % (sz, size_of("wval.%s.bytes" % sz)),
                         "MiB/s", k, [("wasm-validate", "wval.%s.peer_mibs" % sz)], True,
                         "(info)", None))
        elif parts[0] == "aot" and len(parts) == 4 and parts[3] == "build":
            sz, t = parts[1], parts[2]
            if (sz, t) in done:
                continue
            done.add((sz, t))
            pre = "aot.%s.%s." % (sz, t)
            what = "%s%s -> %s" % (sz, size_of("aot.%s.bytes" % sz), t)
            level = raw.get(pre + "level")
            rows.append(("AOT build %s%s" % (what, ", " + level if level else ""), "s",
                         pre + "build", [], False, "(info)", None))
            rows.append(("AOT builder peak RSS %s" % what, "MiB", pre + "rss", [], False,
                         "(info)", None))
            rows.append(("AOT artifact GET, cache hit %s" % what, "ms", pre + "hit", [], False,
                         "(info)", None))
    return rows


def _ratio(w, p, more_is_better):
    """How many times better Wharf is than the peer (> 1: Wharf wins)."""
    if more_is_better:
        return w / p if p else float("inf")
    return p / w if w else float("inf")


def _fmt(v):
    if v is None:
        return "n/a"
    if v >= 100:
        return "%.0f" % v
    if v >= 10:
        return "%.1f" % v
    return "%.2f" % v


def report(results, out):
    vals, loads, runs, notes, order, raw = {}, {}, {}, [], [], {}
    with open(results) as f:
        for line in f:
            e = json.loads(line)
            k, v = e["key"], e["value"]
            order.append(k)
            raw[k] = v
            if k.startswith("load."):
                loads[k[5:]] = v
            elif k.startswith("runs."):
                runs[k[5:]] = [float(x) for x in v.split()]
            elif k == "note":
                notes.append(v)
            else:
                try:
                    vals[k] = float(v)
                except ValueError:
                    vals[k] = None
    rows, table = [], []
    for name, unit, wkey, peers, more, goal, test in _rows() + _wasm_rows(order, raw):
        w = vals.get(wkey)
        pv = {label: vals.get(key) for label, key in peers}
        ratios = {label: (_ratio(w, v, more) if w is not None and v else None)
                  for label, v in pv.items()}
        if test is None:
            met = None
        elif w is None:
            met = "n/a"
        else:
            met = "yes" if test(w, pv) else "NO"
        rows.append({"workload": name, "unit": unit, "wharf": w, "peers": pv,
                     "ratios": ratios, "goal": goal, "met": met})
        table.append([name + " [" + unit + "]", _fmt(w),
                      "; ".join("%s %s" % (l, _fmt(v)) for l, v in pv.items()) or "-",
                      "; ".join("%s x" % _fmt(r) for r in ratios.values()) or "-",
                      goal, met or "-"])
    head = ["workload", "wharf", "peer figure(s)", "ratio(s)", "goal", "met?"]
    widths = [max(len(r[i]) for r in table + [head]) for i in range(len(head))]
    line = lambda r: " | ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip()
    print(line(head))
    print("-+-".join("-" * w for w in widths))
    for r in table:
        print(line(r))
    print("\nratio: how many times better Wharf is than each peer (throughput: wharf/peer;"
          " latency and time: peer/wharf), measured in the same run.")
    doc = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "host": socket.gethostname(),
           "cpus": os.cpu_count(), "loadavg_before_section": loads, "notes": notes, "rows": rows, "runs": runs}
    with open(out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def main(argv):
    cmds = {"freeport": freeport, "files": files, "variants": variants, "invoice": invoice,
            "fakeinvoice": fakeinvoice, "oci": oci, "populate": populate, "latency": latency,
            "rss": rss, "wasm": wasm, "wasmvariants": wasmvariants, "aotwait": aotwait,
            "aotbuild": aotbuild, "record": record, "get": get, "report": report}
    if len(argv) < 2 or argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[argv[1]](*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
