-- Allocation-heavy: short-lived tables, strings and closures, a long-lived map that keeps changing.
local N = tonumber(arg and arg[1]) or 200000
local live, checksum = {}, 0
for i = 1, N do
  local key = "k" .. (i * 7919 % 5003)
  local record = { id = i, name = key .. ":" .. i, tags = { i % 3, i % 5, i % 7 } }
  record.score = function() return record.id * 2 + #record.name end
  live[key] = record
  if i % 3 == 0 then live["k" .. (i * 104729 % 5003)] = nil end
  checksum = (checksum + record.score() + #record.tags) % 1000000007
end
local count = 0
for _, r in pairs(live) do count = count + 1; checksum = (checksum + r.id) % 1000000007 end
print(count, checksum)
