-- wrk script: one POST /message/send per group channel "cold<n>" (one wrk thread).
-- Without COLD_COUNT: n = 1, 2, 3, ... (every request stores into a new channel).
-- With COLD_COUNT=N: n walks 1..N in a scattered order (a prime stride), so that consecutive
-- requests touch channels stored far apart and each needs its own read.
local n = 0
local count = tonumber(os.getenv("COLD_COUNT") or "0")

request = function()
  n = n + 1
  local channel = n
  if count > 0 then channel = 1 + (n * 7919) % count end
  local body = '{"from_uid":"cold-sender","channel_id":"cold' .. channel ..
      '","channel_type":2,"payload":"aGVsbG8gd29ybGQ="}'
  return wrk.format("POST", "/message/send", {["Content-Type"] = "application/json"}, body)
end

done = function(summary, latency, requests)
  io.write(string.format("cold channels touched: %d (%d errors)\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
end
