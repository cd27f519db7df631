#!/usr/bin/env python3
"""Reads every capture of the peer corpus with `mitmwatch read --evidence`, then each bundle's
handshake.pcap again, and counts the bundles whose pcap raises exactly the alerts their
alert.json holds (rule, leaf, server name, severity).

    scripts/check-evidence-corpus.py [MITMWATCH [PEERS_DIR]]

Defaults: .build/debug/mitmwatch and ../shared/corpus/peers. Exit 1 when any bundle differs."""
import json
import os
import subprocess
import sys
import tempfile

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/mitmwatch"
peers = sys.argv[2] if len(sys.argv) > 2 else "../shared/corpus/peers"


def key(alert):
    tls = alert.get("tls", {})
    return (alert["rule"]["id"], tls.get("server", {}).get("hash", {}).get("sha256"),
            tls.get("client", {}).get("server_name"), alert["event"]["severity"])


def alerts(*arguments):
    out = subprocess.run([binary, "read", "--format", "json", "--events", "alerts", "--quiet", *arguments],
                         capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines()]


captures = sorted(os.path.join(root, name) for root, _, names in os.walk(peers)
                  for name in names if name.endswith((".pcap", ".pcapng", ".cap")))
total = bundles = reproduced = 0
with tempfile.TemporaryDirectory() as scratch:
    for index, capture in enumerate(captures):
        directory = os.path.join(scratch, str(index))
        raised = alerts("--evidence", directory, capture)
        total += len(raised)
        for folder in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
            path = os.path.join(directory, folder)
            with open(os.path.join(path, "alert.json")) as handle:
                want = sorted(key(json.loads(line)) for line in handle)
            got = sorted(key(a) for a in alerts(os.path.join(path, "handshake.pcap")))
            bundles += 1
            if got == want:
                reproduced += 1
            else:
                print(f"differs: {capture} {folder}: {want} != {got}")
print(f"{len(captures)} captures, {total} alerts, {bundles} bundles, {reproduced} reproduced by their pcap")
sys.exit(0 if reproduced == bundles else 1)
