#!/usr/bin/env python3
"""Recall and precision of SPoT's declared `depends_on` edges, by hand (not in CI).

The expected edges below were read by hand from each repository's own
manifests, charts and compose files at the commit named (see docs/graph.md
for how, and what each miss means). For each repository given, this
backfills it alone into a fresh SQLite store with `spot backfill git`, reads
the `depends_on` relations open on the last day whose `via` is one of the
declared kinds (env, configmap, helm, compose), and prints found, missed and
extra edges, recall and precision.

    python3 docs/graph.py /tmp/real/microservices-demo /tmp/real/bank-of-anthos ...

SPOT is the binary to run (default target/debug/spot); SINCE the first day
to replay (default 2026-07-01: the edges of the last day are measured, older
history only costs time).
"""

import json
import os
import sqlite3
import subprocess
import sys
import tempfile

DECLARED = {"env", "configmap", "helm", "compose"}
OPEN = 2147483647

# (from, to) by repository folder name. Services are `service:<name>` as
# SPoT names them (docs/identity.md); backing services `resource:<name>`.
EXPECTED = {
    # GoogleCloudPlatform/microservices-demo 34ffea9, kubernetes-manifests/*.yaml env *_ADDR.
    "microservices-demo": {
        "commit": "34ffea9",
        "edges": [
            *[("frontend", s) for s in ["productcatalogservice", "currencyservice", "cartservice",
                                        "recommendationservice", "shippingservice", "checkoutservice",
                                        "adservice", "shoppingassistantservice"]],
            *[("checkoutservice", s) for s in ["productcatalogservice", "shippingservice", "paymentservice",
                                               "emailservice", "currencyservice", "cartservice"]],
            ("cartservice", "resource:redis-cart"),
            ("recommendationservice", "productcatalogservice"),
            ("loadgenerator", "frontend"),
        ],
    },
    # GoogleCloudPlatform/bank-of-anthos d0af047, kubernetes-manifests/: envFrom ConfigMaps
    # service-api-config, ledger-db-config, accounts-db-config; loadgenerator's env. What each
    # service's code reads of service-api-config (the ledger writer only the balance reader).
    "bank-of-anthos": {
        "commit": "d0af047",
        "edges": [
            *[("frontend", s) for s in ["ledgerwriter", "balancereader", "transactionhistory", "contacts",
                                        "userservice"]],
            ("ledgerwriter", "balancereader"),
            *[(s, "ledger-db") for s in ["ledgerwriter", "balancereader", "transactionhistory"]],
            *[(s, "accounts-db") for s in ["contacts", "userservice"]],
            ("loadgenerator", "frontend"),
        ],
    },
    # aws-containers/retail-store-sample-app 1a28474: src/app/chart/values.yaml endpoints
    # (umbrella), src/*/docker-compose.yml and src/app/compose.override.yaml, and the
    # databases each service's chart bundles (src/*/chart/values.yaml, named
    # <service>-<values key> as its templates name them).
    "retail-store-sample-app": {
        "commit": "1a28474",
        "edges": [
            *[("ui", s) for s in ["catalog", "cart", "orders", "checkout"]],
            ("checkout", "orders"),
            ("cart", "resource:carts-db"), ("cart", "resource:cart-dynamodb"),
            ("catalog", "resource:catalog-db"), ("catalog", "resource:opensearch"),
            ("catalog", "resource:catalog-mysql"), ("catalog", "resource:catalog-opensearch"),
            ("checkout", "resource:checkout-redis"),
            ("orders", "resource:orders-db"), ("orders", "resource:rabbitmq"),
            ("orders", "resource:orders-postgresql"), ("orders", "resource:orders-rabbitmq"),
        ],
    },
    # instana/robot-shop 55292e2: docker-compose.yaml depends_on, K8s/*.yaml env (the Helm chart's
    # templates are not read; the services' own defaults in code are not declarations).
    # mongodb and mysql are built by the repository (rs-mongodb, rs-mysql-db).
    "robot-shop": {
        "commit": "55292e2",
        "edges": [
            ("rs-catalogue", "rs-mongodb"),
            ("rs-user", "rs-mongodb"), ("rs-user", "resource:redis"),
            ("rs-cart", "resource:redis"),
            ("rs-shipping", "rs-mysql-db"), ("rs-ratings", "rs-mysql-db"),
            ("rs-payment", "resource:rabbitmq"), ("rs-dispatch", "resource:rabbitmq"),
            *[("rs-web", s) for s in ["rs-catalogue", "rs-user", "rs-shipping", "rs-payment"]],
            # K8s/load-deployment.yaml: the load generator's HOST is http://web:8080.
            ("rs-load", "rs-web"),
        ],
    },
    # open-telemetry/opentelemetry-demo 054282e: compose.yaml, compose.full.yaml,
    # compose.agent.yaml and compose.observability.yaml environment (from .env:
    # CART_ADDR=cart:${CART_PORT}, image: ${POSTGRES_IMAGE}) and depends_on, between the
    # services the repository builds and its backing stores; the collector, flagd,
    # Jaeger, Grafana and Prometheus are third-party images but no backing store.
    "opentelemetry-demo": {
        "commit": "054282e",
        "edges": [
            ("cart", "resource:valkey-cart"), ("cart", "opamp-server"),
            *[("checkout", s) for s in ["cart", "currency", "email", "payment", "product-catalog", "shipping",
                                        "kafka"]],
            *[("frontend", s) for s in ["ad", "cart", "checkout", "currency", "product-catalog", "quote",
                                        "recommendation", "shipping", "image-provider"]],
            *[("frontend-proxy", s) for s in ["frontend", "image-provider", "flagd-ui", "telemetry-docs", "chatbot",
                                              "opamp-server"]],
            ("load-generator", "frontend"), ("load-generator", "frontend-proxy"),
            ("product-catalog", "resource:astronomy-db"),
            ("recommendation", "product-catalog"),
            ("shipping", "quote"),
            ("accounting", "kafka"), ("fraud-detection", "kafka"),
            ("agent", "product-catalog"), ("agent", "mcp"), ("agent", "frontend"),
            ("mcp", "frontend"),
            ("chatbot", "agent"), ("chatbot", "opamp-server"),
        ],
    },
}


def key(name):
    return name if ":" in name else f"service:{name}"


def found_edges(spot, clone, since):
    with tempfile.TemporaryDirectory() as work:
        db = os.path.join(work, "spot.db")
        subprocess.run([spot, "backfill", "git", "--db", db, "--since", since, clone], check=True,
                       capture_output=True, env={**os.environ, "SPOT_LOG": "error"})
        rows = sqlite3.connect(db).execute(
            "SELECT f.key, t.key, r.attrs FROM relations r JOIN entities f ON f.id = r.from_id "
            "JOIN entities t ON t.id = r.to_id WHERE r.kind = 'depends_on' AND r.valid_to = ?", (OPEN,))
        return {(a, b): json.loads(attrs) for a, b, attrs in rows if json.loads(attrs).get("via") in DECLARED}


def main(clones):
    spot = os.environ.get("SPOT", "target/debug/spot")
    since = os.environ.get("SINCE", "2026-07-01")
    total_expected = total_found = total_right = 0
    print("| repository | expected | found | right | recall | precision |")
    print("|---|---:|---:|---:|---:|---:|")
    details = []
    for clone in clones:
        name = os.path.basename(os.path.normpath(clone))
        if name not in EXPECTED:
            print(f"{name}: no hand-read edges; skipped", file=sys.stderr)
            continue
        expected = {(key(a), key(b)) for a, b in EXPECTED[name]["edges"]}
        found = found_edges(spot, clone, since)
        right = expected & set(found)
        total_expected, total_found, total_right = (total_expected + len(expected), total_found + len(found),
                                                    total_right + len(right))
        recall = len(right) / len(expected) if expected else 1.0
        precision = len(right) / len(found) if found else 1.0
        print(f"| {name} (`{EXPECTED[name]['commit']}`) | {len(expected)} | {len(found)} | {len(right)} "
              f"| {recall:.0%} | {precision:.0%} |")
        for edge in sorted(expected - set(found)):
            details.append(f"{name}: missed {edge[0]} -> {edge[1]}")
        for edge in sorted(set(found) - expected):
            attrs = found[edge]
            details.append(f"{name}: extra {edge[0]} -> {edge[1]} ({attrs.get('via')} {attrs.get('variable')} "
                           f"in {attrs.get('file')})")
    if total_expected:
        print(f"| **all** | {total_expected} | {total_found} | {total_right} "
              f"| {total_right / total_expected:.0%} | {total_right / max(total_found, 1):.0%} |")
    print()
    print("\n".join(details))


if __name__ == "__main__":
    main(sys.argv[1:])
