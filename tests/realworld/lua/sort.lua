-- table.sort with and without comparators on large seeded-random arrays; insert/remove/move/concat.
math.randomseed(42)
local N = 60000
local nums = {}
for i = 1, N do nums[i] = math.random(1, 1000000) end
local copy = table.move(nums, 1, N, 1, {})
table.sort(nums)
local ok = true
for i = 2, N do if nums[i - 1] > nums[i] then ok = false end end
print("ascending", ok, nums[1], nums[N // 2], nums[N])

table.sort(copy, function(a, b) return a > b end)
ok = true
for i = 2, N do if copy[i - 1] < copy[i] then ok = false end end
print("descending", ok, copy[1], copy[N])

-- Records sorted by two keys with a comparator.
local recs = {}
for i = 1, 30000 do
  recs[i] = { group = math.random(1, 50), id = i, name = string.format("n%05d", math.random(0, 99999)) }
end
table.sort(recs, function(x, y)
  if x.group ~= y.group then return x.group < y.group end
  return x.id < y.id
end)
local h = 0
for i = 1, #recs do h = (h * 131 + recs[i].id + recs[i].group) % 4294967291 end
print("records", recs[1].group, recs[1].id, recs[#recs].group, recs[#recs].id, h)

-- Strings sorted, by length then lexicographically.
local strs = {}
for i = 1, 20000 do
  local len = math.random(1, 12)
  local t = {}
  for k = 1, len do t[k] = string.char(math.random(97, 122)) end
  strs[i] = table.concat(t)
end
table.sort(strs, function(a, b) if #a ~= #b then return #a < #b end return a < b end)
print("strings", strs[1], strs[2], strs[#strs], #strs[#strs])

-- Floats mixed with integers.
local mixed = {}
for i = 1, 10000 do mixed[i] = (i % 3 == 0) and (math.random() * 1000) or math.random(0, 1000) end
table.sort(mixed)
print("mixed", string.format("%.6f %.6f", mixed[1], mixed[#mixed]), math.type(mixed[1]))

-- An invalid order function is reported.
print("invalid", pcall(table.sort, { 3, 1, 2, 5, 4, 7, 6, 9, 8, 10, 12, 11 }, function(a, b) return true end))

-- insert/remove/move/concat.
local t = {}
for i = 1, 10 do table.insert(t, i) end
table.insert(t, 1, 0)
table.insert(t, 5, 99)
print(table.remove(t), table.remove(t, 1), table.concat(t, ","))
print(table.concat(table.move({ 1, 2, 3, 4, 5 }, 2, 4, 1), ","), table.concat({}, ","), table.concat({ 1, 2.5, "x" }, "-", 2, 3))

-- A queue with many inserts/removes at both ends.
local q = {}
local s = 0
for i = 1, 20000 do
  table.insert(q, i)
  if i % 3 == 0 then s = s + table.remove(q, 1) end
end
print("queue", #q, s)
