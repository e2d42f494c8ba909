-- Shared by the benchmark's wrk scripts: at the end of a run, prints what
-- scripts/bench.sh reads, one key=value line each (latencies in ms).

function done(summary, latency, requests)
   local seconds = summary.duration / 1e6
   local errors = summary.errors
   io.write(string.format("requests=%d\n", summary.requests))
   io.write(string.format("rps=%.1f\n", summary.requests / seconds))
   io.write(string.format("p50_ms=%.2f\n", latency:percentile(50) / 1000))
   io.write(string.format("p90_ms=%.2f\n", latency:percentile(90) / 1000))
   io.write(string.format("p99_ms=%.2f\n", latency:percentile(99) / 1000))
   io.write(string.format("max_ms=%.2f\n", latency.max / 1000))
   io.write(string.format("socket_errors=%d\n",
      errors.connect + errors.read + errors.write + errors.timeout))
   io.write(string.format("non_2xx_3xx=%d\n", errors.status))
end
