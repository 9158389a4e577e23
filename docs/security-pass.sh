#!/usr/bin/env bash
# Re-runs the adversarial pass of docs/security.md against a spot binary
# (default target/release/spot) serving on 127.0.0.1:18080. Loopback only.
set -u
cd "$(dirname "$0")/.."
BIN=${1:-target/release/spot}
D=$(mktemp -d)
SPOT_LOG=warn $BIN ingest --db $D/spot.db tests/data/billing-day1.json >/dev/null 2>&1
SPOT_LOG=warn $BIN serve --db $D/spot.db --listen 127.0.0.1:18080 2>$D/serve.log &
PID=$!
for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:18080/healthz && break; sleep 0.1; done
for k in 26 30 40; do
python3 -c "k=$k;import json;print(json.dumps({'query':'query{...f0} '+' '.join(f'fragment f{i} on Query{{...f{i+1} ...f{i+1}}}' for i in range(k))+f' fragment f{k} on Query{{latestDay}}'}))" > $D/b$k.json
done
echo "bomb k=30, 2 at once, and /healthz meanwhile (seconds):"
for round in 1 2 3; do
  curl -s -o $D/r1 -w "bomb1 %{time_total}  " -H 'Content-Type: application/json' --data-binary @$D/b30.json http://127.0.0.1:18080/graphql &
  B1=$!
  curl -s -o $D/r2 -w "bomb2 %{time_total}  " -H 'Content-Type: application/json' --data-binary @$D/b30.json http://127.0.0.1:18080/graphql &
  B2=$!
  curl -s -o /dev/null -w "healthz %{time_total}  " http://127.0.0.1:18080/healthz
  wait $B1 $B2; echo
done
echo; echo "answer: $(cat $D/r1)"
for k in 26 40; do curl -s -o /dev/null -w "bomb k=$k %{time_total}\n" -H 'Content-Type: application/json' --data-binary @$D/b$k.json http://127.0.0.1:18080/graphql; done
echo "text/plain mutation: $(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' --data '{"query":"mutation{recordDeployment(service:\"x\",cluster:\"c\",version:\"1\"){version}}"}' http://127.0.0.1:18080/graphql)"
echo "foreign Origin: $(curl -s -o /dev/null -w '%{http_code}' -H 'Origin: http://evil.example' -H 'Content-Type: application/json' --data '{"query":"{latestDay}"}' http://127.0.0.1:18080/graphql)"
echo "rebound Host: $(curl -s -o /dev/null -w '%{http_code}' -H 'Host: evil.example' http://127.0.0.1:18080/)"
python3 - <<'PY'
import json,urllib.request
for i in range(3000):
    r=urllib.request.Request("http://127.0.0.1:18080/graphql",data=json.dumps({"query":f"query Op{i} {{ latestDay }}"}).encode(),headers={"Content-Type":"application/json"})
    urllib.request.urlopen(r).read()
print("/metrics after 3000 operation names:", len(urllib.request.urlopen("http://127.0.0.1:18080/metrics").read()), "bytes")
big="{ latestDay "+"x "*100000+"("
r=urllib.request.Request("http://127.0.0.1:18080/graphql",data=json.dumps({"query":big}).encode(),headers={"Content-Type":"application/json"})
print("parse error of a 200 KB query:", len(urllib.request.urlopen(r).read()), "bytes")
PY
python3 - <<'PY'
import socket,time
socks=[]
for i in range(1200):
    s=socket.create_connection(("127.0.0.1",18080)); socks.append(s)
t=time.time()
closed=0
for s in socks:
    s.settimeout(30)
    try:
        if s.recv(1)==b"": closed+=1
    except Exception: pass
print(f"1200 silent connections: {closed} closed by the server within {time.time()-t:.1f} s")
PY
kill $PID; wait $PID 2>/dev/null

# The WebSocket classes, against a server with a token (the pre-auth classes
# need one) over SPOT_PASS_DB (default: the same one-day store; the demo's
# store, spot-demo.db, makes the trend class meaningful).
TOKEN=pass-token-0123456789abcdef
cat > $D/spot.toml <<TOML
[server]
listen = "127.0.0.1:18081"
[[auth.tokens]]
name = "pass"
scopes = ["read", "write", "metrics"]
token_env = "SPOT_PASS_TOKEN"
TOML
ulimit -n 8192
SPOT_PASS_TOKEN=$TOKEN SPOT_LOG=warn $BIN serve --config $D/spot.toml --db ${SPOT_PASS_DB:-$D/spot.db} 2>$D/serve-ws.log &
PID=$!
for i in $(seq 300); do curl -s -o /dev/null http://127.0.0.1:18081/healthz && break; sleep 0.1; done
python3 docs/security-pass-ws.py 18081 $PID $TOKEN
kill $PID; wait $PID 2>/dev/null
rm -rf $D
