-- wrk script: one POST /message/send per group channel "cold<n>", n = 1, 2, 3, ... (one wrk
-- thread), so that every request touches a channel no earlier request touched.
local n = 0

request = function()
  n = n + 1
  local body = '{"from_uid":"cold-sender","channel_id":"cold' .. n ..
      '","channel_type":2,"payload":"aGVsbG8gd29ybGQ="}'
  return wrk.format("POST", "/message/send", {["Content-Type"] = "application/json"}, body)
end

done = function(summary, latency, requests)
  io.write(string.format("cold channels touched: %d (%d errors)\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
end
