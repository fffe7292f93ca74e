-- wrk script for the `single` scenario (bench/hotpath.py): one SOS per POST /v1/sync, a fresh
-- op id every time, each device carrying its own cursor from its last reply like a phone.
-- Run with as many threads as connections (-t N -c N): each thread then has one connection,
-- so every response answers the thread's previous request. Device keys come from the file
-- named by SIAGA_KEYS (one "key cursor" per line); thread t uses keys t, t+N, t+2N, ...
local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local keys, cursors, current = {}, {}, 1
sent, applied, other = 0, 0, 0  -- globals: done() reads them with thread:get

local function uuid4()
  local t = {}
  for i = 1, 16 do t[i] = math.random(0, 255) end
  t[7] = (t[7] % 16) + 64
  t[9] = (t[9] % 64) + 128
  local h = string.format(string.rep("%02x", 16), unpack(t))
  return h:sub(1, 8) .. "-" .. h:sub(9, 12) .. "-" .. h:sub(13, 16) .. "-" ..
         h:sub(17, 20) .. "-" .. h:sub(21, 32)
end

function init(args)
  local n = tonumber(os.getenv("SIAGA_THREADS"))
  local all = {}
  for line in io.lines(os.getenv("SIAGA_KEYS")) do table.insert(all, line) end
  for i = index + 1, #all, n do
    local key, cursor = all[i]:match("^(%S+)%s+(%S+)$")
    table.insert(keys, key)
    cursors[key] = cursor
  end
  math.randomseed(os.time() * 1000 + index * 7919)
end

function request()
  local key = keys[current]
  local now = os.date("!%Y-%m-%dT%H:%M:%SZ")
  local cursor = cursors[key] and ('"' .. cursors[key] .. '"') or "null"
  local lat = -2.9 + math.random() * 0.3
  local lon = 103.7 + math.random() * 0.3
  local body = '{"protocol":1,"device_time":"' .. now .. '","cursor":' .. cursor ..
    ',"ops":[{"id":"' .. uuid4() .. '","type":"report.create","at":"' .. now ..
    '","data":{"category":"fire","note":"rumah terbakar dekat masjid","location":' ..
    string.format('{"lat":%.6f,"lon":%.6f,"accuracy_m":12,"source":"gps"}}}]}', lat, lon)
  sent = sent + 1
  return wrk.format("POST", "/v1/sync", {
    ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  local key = keys[current]
  current = current % #keys + 1
  if status == 200 then
    local c = body:match('"cursor":%s*"(c1%.%d+%.%d+)"')
    if c then cursors[key] = c end
    if body:find('"status":%s*"applied"') then applied = applied + 1 else other = other + 1 end
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local a, o = 0, 0
  for _, t in ipairs(threads) do
    a = a + (t:get("applied") or 0)
    o = o + (t:get("other") or 0)
  end
  io.write(string.format("SIAGA_RESULT %d %d %d %d %.1f %.1f %.1f %.1f %d %d\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, a, o))
end
