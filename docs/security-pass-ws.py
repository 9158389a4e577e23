"""The WebSocket classes of the adversarial pass (docs/security.md), run by
docs/security-pass.sh against a `spot serve` on loopback. Standard library
only: a minimal WebSocket client (RFC 6455 framing, masked frames).

Usage: python3 security-pass-ws.py PORT PID TOKEN
"""

import base64
import datetime
import json
import os
import socket
import struct
import sys
import threading
import time
import urllib.request

PORT, PID, TOKEN = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
HOST = "127.0.0.1"


def cpu_seconds():
    with open(f"/proc/{PID}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb():
    with open(f"/proc/{PID}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return -1


def upgrade(token=None, protocol="graphql-transport-ws", timeout=30):
    """A socket after its upgrade, and the status line the server answered."""
    s = socket.create_connection((HOST, PORT), timeout=timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    head = (
        f"GET /graphql/ws HTTP/1.1\r\nHost: {HOST}:{PORT}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {protocol}\r\n"
    )
    if token:
        head += f"Authorization: Bearer {token}\r\n"
    s.sendall((head + "\r\n").encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = s.recv(4096)
        if not chunk:
            break
        answer += chunk
    return s, answer.split(b"\r\n")[0].decode(errors="replace")


def frame(payload, opcode=1):
    payload = payload.encode() if isinstance(payload, str) else payload
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) if n < 1 << 16 else mask_fast(payload, mask)
    return header + mask + masked


def mask_fast(payload, mask):
    whole = (mask * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(whole, "big")).to_bytes(len(payload), "big")


def send(s, message):
    s.sendall(frame(json.dumps(message)))


def read_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def receive(s):
    """('text', value) or ('close', code, reason); EOFError when the connection ends."""
    while True:
        first, second = read_exact(s, 2)
        n = second & 0x7F
        if n == 126:
            n = struct.unpack("!H", read_exact(s, 2))[0]
        elif n == 127:
            n = struct.unpack("!Q", read_exact(s, 8))[0]
        payload = read_exact(s, n)
        opcode = first & 0x0F
        if opcode == 1:
            return ("text", json.loads(payload))
        if opcode == 8:
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
            return ("close", code, payload[2:].decode(errors="replace"))


def authenticated():
    s, status = upgrade(TOKEN)
    send(s, {"type": "connection_init", "payload": {}})
    assert receive(s)[1]["type"] == "connection_ack", status
    return s


def healthz_ms():
    started = time.time()
    urllib.request.urlopen(f"http://{HOST}:{PORT}/healthz", timeout=60).read()
    return (time.time() - started) * 1000


def graphql(query, timeout=60):
    request = urllib.request.Request(
        f"http://{HOST}:{PORT}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
    )
    started = time.time()
    body = urllib.request.urlopen(request, timeout=timeout).read()
    return (time.time() - started) * 1000, body


def bomb(k):
    fragments = " ".join(f"fragment f{i} on Query{{...f{i + 1} ...f{i + 1}}}" for i in range(k))
    return "query{...f0} " + fragments + f" fragment f{k} on Query{{latestDay}}"


def fragment_bombs():
    s = authenticated()
    for k in (26, 30, 40):
        health = []
        started = time.time()
        send(s, {"type": "subscribe", "id": f"b{k}", "payload": {"query": bomb(k)}})
        probe = threading.Thread(target=lambda: health.append(healthz_ms()))
        probe.start()
        answer = receive(s)
        elapsed = (time.time() - started) * 1000
        probe.join()
        code = answer[1]["payload"][0]["extensions"]["code"]
        print(f"  bomb k={k} over the socket: {answer[1]['type']} {code} in {elapsed:.1f} ms; /healthz meanwhile {health[0]:.1f} ms")
    s.close()


def idle_pre_auth_sockets(count=2000):
    before = rss_mb()
    opened, refused, other = [], 0, 0
    for _ in range(count):
        try:
            s, status = upgrade(timeout=60)
        except OSError:
            other += 1
            continue
        if " 101 " in status:
            opened.append(s)
        elif " 503 " in status:
            refused += 1
            s.close()
        else:
            other += 1
            s.close()
    query_ms, body = graphql("{ latestDay }")
    answered = b"latestDay" in body
    started = time.time()
    closed = 0
    for s in opened:
        s.settimeout(60)
        try:
            while receive(s)[0] != "close":
                pass
            closed += 1
        except (EOFError, OSError):
            closed += 1
    print(
        f"  {count} upgrades without credentials, none sending connection_init: {len(opened)} held, "
        f"{refused} refused with 503, {other} other; a token's query meanwhile answered={answered} in {query_ms:.1f} ms; "
        f"all {closed} held closed within {time.time() - started:.1f} s; RSS {before} -> {rss_mb()} MB"
    )


def huge_init(size=60 << 20):
    before = rss_mb()
    s, status = upgrade()
    started = time.time()
    try:
        s.sendall(frame(json.dumps({"type": "connection_init", "payload": {"p": "x" * size}})))
    except OSError:
        pass
    try:
        answer = receive(s)
    except (EOFError, OSError):
        answer = ("ended",)
    print(f"  a {size >> 20} MB connection_init before authenticating: {answer} in {time.time() - started:.2f} s; RSS {before} -> {rss_mb()} MB")


def subscription_flood(count=20000):
    before = rss_mb()
    s = authenticated()
    for i in range(count):
        send(s, {"type": "subscribe", "id": str(i), "payload": {"query": "subscription { deploys { version } }"}})
    refused = 0
    s.settimeout(60)
    while refused < count - 100:
        kind, message = receive(s)[:2]
        if kind == "text" and message["type"] == "error":
            refused += 1
    deploy_ms, _ = graphql('mutation { recordDeployment(service: "billing", cluster: "dc1", version: "9.9.9") { version } }')
    started = time.time()
    heard = 0
    while heard < 100:
        if receive(s)[1]["type"] == "next":
            heard += 1
    print(
        f"  {count} subscriptions on one socket: {count - refused} run, {refused} refused (TOO_MANY_OPERATIONS); "
        f"one recordDeployment {deploy_ms:.1f} ms, its {heard} events delivered in {(time.time() - started) * 1000:.1f} ms; "
        f"RSS {before} -> {rss_mb()} MB"
    )
    s.close()


def slow_reader(operations=100):
    before = rss_mb()
    s = authenticated()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    query = "{ __schema { types { name description fields { name description args { name description } } } } }"
    started = time.time()
    for i in range(operations):
        send(s, {"type": "subscribe", "id": str(i), "payload": {"query": query}})
    metrics = urllib.request.Request(f"http://{HOST}:{PORT}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    while b'reason="slow_reader"' not in urllib.request.urlopen(metrics).read():
        if time.time() - started > 60:
            break
    decided = time.time() - started
    peak = rss_mb()
    end = None
    s.settimeout(30)
    try:
        while True:
            message = receive(s)
            if message[0] == "close":
                end = message
                break
    except (EOFError, OSError):
        end = end or ("ended",)
    print(f"  a reader that reads nothing, {operations} large answers: closed after {decided:.2f} s with {end}; RSS {before} -> {peak} MB")


def aliased_trends(count=20):
    s = authenticated()
    since = (datetime.date.today() - datetime.timedelta(days=364)).isoformat()
    fields = " ".join(f'a{i}: hygieneTrend(from: "{since}", bucket: DAY) {{ bucket }}' for i in range(count))
    started = time.time()
    send(s, {"type": "subscribe", "id": "t", "payload": {"query": "{ " + fields + " }"}})
    s.settimeout(120)
    answer = receive(s)[1]
    answered = time.time() - started
    errors = answer.get("payload", {}).get("errors") or answer.get("payload")
    # Does the work go on after the answer? CPU over the next 3 s.
    cpu = cpu_seconds()
    time.sleep(3)
    after = cpu_seconds() - cpu
    print(
        f"  {count} aliased hygieneTrend(bucket: DAY) in one message: answered in {answered:.2f} s: "
        f"{json.dumps(errors)[:140]}; server CPU in the 3 s after: {after:.2f} s"
    )
    s.close()


print("WebSocket (/graphql/ws):")
for case in (fragment_bombs, aliased_trends, huge_init, idle_pre_auth_sockets, subscription_flood, slow_reader):
    try:
        case()
    except Exception as error:  # a class that fails says so and the pass goes on
        print(f"  {case.__name__}: failed: {error!r}")
