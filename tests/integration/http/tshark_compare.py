"""Checks the HTTP classifier's Host and Content-Type against tshark 4.0 on the shared
corpus. Our facts never leave the classifier, so the check goes through the rules: for every
capture, one app per Host tshark saw (and one per Host and request Content-Type, tried
first), each named by an `http:` rule; a flow whose first request tshark shows with Host H
(and Content-Type C) must come out of the binary named by that app, claimed by our `http`
classifier.
    tshark_compare.py BINARY SHARED_ROOT WORKDIR
tshark's Host keeps a port (host:8080); ours, as rules see it, does not: ports are cut off
tshark's before comparing. Every HTTP capture is run (those without tshark output with no
rules) and must keep packet conservation.
Prints one line per capture and a total; exits 1 when under 90% of the flows agree or a run
fails or breaks conservation."""
import csv
import json
import os
import subprocess
import sys

binary, shared, work = sys.argv[1:4]
pcaps = os.path.join(shared, "pcaps")
compared = agreed = failures = 0
for row in csv.DictReader(open(os.path.join(pcaps, "MANIFEST.tsv")), delimiter="\t"):
    if "http" not in row["tags"].split(",") or int(row["bytes"]) > 3_000_000:
        continue
    expected_path = os.path.join(pcaps, "expected", "tshark-4.0", row["path"] + ".tsv")
    frames = csv.DictReader(open(expected_path), delimiter="\t") if os.path.exists(
        expected_path) else []
    first = {}  # flow -> (host, content type) of its first request
    for frame in frames:
        host = frame["http.host"]
        if ":" in host and not host.startswith("["):
            host = host.rsplit(":", 1)[0]
        if not host or not frame["http.request.uri"] or not frame["tcp.srcport"]:
            continue
        src = frame["ip.src"] or frame["ipv6.src"]
        key = (src, frame["tcp.srcport"], frame["tcp.dstport"])
        first.setdefault(key, (host, frame["http.content_type"]))
    usable = {k: v for k, v in first.items()
              if not any(c in v[0] + v[1] for c in "*?\\\"[],") and len(v[0]) < 64}
    apps, names = [], {}
    for host, ctype in sorted(set(usable.values()), key=lambda v: (v[1] == "", v)):
        name = "t%d" % len(apps)
        test = {"host": [host]}
        if ctype:
            test["content_type"] = [ctype]
        apps.append({"name": name, "category": "test", "match": {"any": [{"http": test}]}})
        names[(host, ctype)] = name
    base = os.path.join(work, row["path"].replace("/", "_"))
    with open(base + ".rules.yaml", "w") as out:
        json.dump({"apps": apps}, out)
    with open(base + ".yaml", "w") as out:
        json.dump({"rules": {"files": [os.path.basename(base) + ".rules.yaml"],
                             "watch_files": False}}, out)
    records = base + ".jsonl"
    run = subprocess.run([binary, "run", "-c", base + ".yaml", "--pcap",
                          os.path.join(pcaps, row["path"]), "--workers", "1", "--flows-out",
                          records, "--metrics", "127.0.0.1:0"], capture_output=True, text=True)
    if run.returncode != 0 or ": holds" not in run.stdout:
        print(row["path"], "run failed or broke conservation:", (run.stderr + run.stdout)[-300:])
        failures += 1
        continue
    named = {}
    for line in open(records):
        record = json.loads(line)
        if record["proto"] != "TCP":
            continue
        for src, sport, dport in ((record["src_ip"], record["src_port"], record["dst_port"]),
                                  (record["dst_ip"], record["dst_port"], record["src_port"])):
            named[(src, str(sport), str(dport))] = (record["app"], record["classifier"])
    here = ok = 0
    for key, (host, ctype) in usable.items():
        here += 1
        want = names[(host, ctype)]
        if named.get(key) == (want, "http"):
            ok += 1
        else:
            print("  ", row["path"], key, "host", host, "type", repr(ctype), "got", named.get(key))
    print("%-40s %3d/%3d flows agree" % (row["path"], ok, here))
    compared += here
    agreed += ok
print("total: %d/%d flows agree" % (agreed, compared))
print("failed runs: %d" % failures)
sys.exit(0 if compared and agreed >= 0.9 * compared and failures == 0 else 1)
