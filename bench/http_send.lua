-- wrk script: POST /message/send to 64 group channels, 16-byte payload.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local counter = 0
request = function()
  counter = counter + 1
  local body = '{"from_uid":"bench","channel_id":"g' .. (counter % 64) ..
      '","channel_type":2,"payload":"aGVsbG8gd29ybGQ="}'
  return wrk.format(nil, nil, nil, body)
end
