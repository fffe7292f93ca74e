-- wrk script for the `echo` scenario (bench/hotpath.py): GET /v1/ping, the cheapest JSON.
function done(summary, latency, requests)
  io.write(string.format("SIAGA_RESULT %d %d %d %d %.1f %.1f %.1f %.1f %d %d\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.requests, 0))
end
