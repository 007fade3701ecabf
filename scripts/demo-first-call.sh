#!/bin/sh
# Measures the demo's first minute: the time from "go run ./cmd/earshot
# demo" to the first simulated call answered by an agent, as the demo logs
# it. Each run starts on a fresh data folder and free loopback ports.
#
#   scripts/demo-first-call.sh [runs]    (default 3; run from the module root)
set -eu

runs=${1:-3}
limit=120 # seconds before a run counts as failed
i=1
while [ "$i" -le "$runs" ]; do
	data=$(mktemp -d)
	log="$data/earshot.log"
	start=$(date +%s%N)
	setsid go run ./cmd/earshot demo --data "$data/demo" --http 127.0.0.1:0 --sip 127.0.0.1:0 \
		--log-level info >"$log" 2>&1 &
	pid=$!
	found=""
	while :; do
		if grep -q "demo: first simulated call answered" "$log"; then
			found=yes
			break
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			break
		fi
		if [ $(( ($(date +%s%N) - start) / 1000000000 )) -ge "$limit" ]; then
			break
		fi
		sleep 0.05
	done
	end=$(date +%s%N)
	kill -TERM "-$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	if [ -z "$found" ]; then
		echo "run $i: no answered call within ${limit}s; log:" >&2
		cat "$log" >&2
		rm -rf "$data"
		exit 1
	fi
	ms=$(( (end - start) / 1000000 ))
	line=$(grep "demo: first simulated call answered" "$log" | head -n 1)
	echo "run $i: first simulated call answered ${ms} ms after go run ($(echo "$line" | sed -n 's/.*\(agent=.*\)/\1/p'))"
	rm -rf "$data"
	i=$((i + 1))
done
