-- wrk script: POST /message/send to 64 group channels, 16-byte payload. The 64 requests are
-- built once per wrk thread and sent round-robin, so the load generator spends its CPU on the
-- connection, not on building bodies (the nginx run it is compared with has no script at all).
local requests = {}
local next_index = 0

init = function(args)
  for i = 0, 63 do
    local body = '{"from_uid":"bench","channel_id":"g' .. i ..
        '","channel_type":2,"payload":"aGVsbG8gd29ybGQ="}'
    requests[i + 1] = wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
  end
end

request = function()
  next_index = next_index % 64 + 1
  return requests[next_index]
end
