-- What the wrk scripts of scripts/bench share: loaded first by each of
-- them with dofile. The including script sets `expected` (the status that
-- counts as done), calls count_init() in its init(), and adds 1 to `sent`
-- in its request(). done() prints one "result" line (read with wrk_field
-- of lib.sh), a "statuses" line (the other answers, by status) and the
-- first such answer.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function count_init()
  sent, ok, failed, statuses, sample = 0, 0, 0, {}, ""
end

function response(status, headers, body)
  if status == expected then
    ok = ok + 1
  else
    failed = failed + 1
    statuses[status] = (statuses[status] or 0) + 1
    if sample == "" then sample = status .. " " .. body:sub(1, 300) end
  end
end

function done(summary, latency, requests)
  local sent_, ok_, failed_, statuses_, sample_ = 0, 0, 0, {}, ""
  for _, t in ipairs(threads) do
    sent_ = sent_ + t:get("sent")
    ok_ = ok_ + t:get("ok")
    failed_ = failed_ + t:get("failed")
    for s, c in pairs(t:get("statuses")) do statuses_[s] = (statuses_[s] or 0) + c end
    if sample_ == "" then sample_ = t:get("sample") end
  end
  local e = summary.errors
  io.write(string.format("result ok=%d failed=%d unanswered=%d timeouts=%d socket_errors=%d duration_us=%d p50_ms=%.1f p99_ms=%.1f\n",
                         ok_, failed_, sent_ - ok_ - failed_, e.timeout, e.connect + e.read + e.write, summary.duration,
                         latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  io.write("statuses")
  for s, c in pairs(statuses_) do io.write(" ", s, "=", c) end
  io.write("\n", "sample ", sample_, "\n")
end
