-- Request script for wrk (one thread): the n-th request gets WRK_PATH with "{n}" replaced by n
-- and "{k}" by (n - 1) modulo WRK_KEYS (default 256), and, when WRK_COOKIES names a file, the Cookie header on line n of it (cycling). At the end it
-- prints one line, "wrk-result <json>", that bench/support/load.ts reads.

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

done = function(summary, latency)
  local e = summary.errors
  io.write(string.format(
    'wrk-result {"requests":%d,"micros":%d,"errors":%d,"non2xx":%d,"p50":%.3f,"p99":%.3f,"max":%.3f}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
