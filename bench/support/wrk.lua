-- Request script for wrk (one thread): the n-th request gets WRK_PATH with "{n}" replaced by n
-- and "{k}" by (n - 1) modulo WRK_KEYS (default 256), and, when WRK_COOKIES names a file, the Cookie header on line n of it (cycling). At the end it
-- prints one line, "wrk-result <json>", that bench/support/load.ts reads. With WRK_TRACK=1, a 2xx
-- answer whose body is a request number n is noted under its key (n - 1) modulo WRK_KEYS: the
-- result then holds, per key, the highest n answered ("answered").

local path = os.getenv("WRK_PATH") or "/"
local cookies = {}
local cookie_file = os.getenv("WRK_COOKIES")
if cookie_file and cookie_file ~= "" then
  for line in io.lines(cookie_file) do
    if line ~= "" then cookies[#cookies + 1] = line end
  end
end

local n = 0
local keys = tonumber(os.getenv("WRK_KEYS") or "256")
local has_counter = path:find("{n}", 1, true) ~= nil or path:find("{k}", 1, true) ~= nil

request = function()
  n = n + 1
  local target = path
  if has_counter then
    target = target:gsub("{n}", tostring(n)):gsub("{k}", tostring((n - 1) % keys))
  end
  local headers = {}
  if #cookies > 0 then headers["Cookie"] = cookies[(n - 1) % #cookies + 1] end
  return wrk.format("GET", target, headers)
end

answered = {}
if os.getenv("WRK_TRACK") == "1" then
  -- Only when asked: a response callback makes wrk hand every body to Lua.
  response = function(status, headers, body)
    local written = tonumber(body)
    if status >= 200 and status < 300 and written and written >= 1 then
      local k = (written - 1) % keys
      if written > (answered[k] or 0) then answered[k] = written end
    end
  end
end

local threads = {}
setup = function(thread)
  threads[#threads + 1] = thread
end

done = function(summary, latency)
  local e = summary.errors
  local noted = {}
  for _, thread in ipairs(threads) do
    for k, written in pairs(thread:get("answered") or {}) do
      noted[#noted + 1] = string.format('"%d":%d', k, written)
    end
  end
  io.write(string.format(
    'wrk-result {"requests":%d,"micros":%d,"errors":%d,"non2xx":%d,"p50":%.3f,"p99":%.3f,"max":%.3f,"answered":{%s}}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, table.concat(noted, ",")))
end
