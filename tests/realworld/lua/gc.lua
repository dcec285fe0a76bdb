-- Garbage collector: many short-lived tables, weak tables, finalizers, both collector modes.
local fmt = string.format

local finalized, finalized_sum = 0, 0
local mt = { __gc = function(o) finalized = finalized + 1; finalized_sum = finalized_sum + o.id end }

local function churn(rounds, width)
  local keep = {}
  local total = 0
  for r = 1, rounds do
    local t = {}
    for i = 1, width do
      t[i] = { r, i, tostring(i) .. ":" .. r }
    end
    total = total + #t + #t[width][3]
    if r % 50 == 0 then keep[#keep + 1] = t end
  end
  return total, #keep
end

collectgarbage("incremental")
print("churn incremental", churn(400, 200))

-- Objects with finalizers, made unreachable and collected.
local function make_finalizable(n)
  for i = 1, n do setmetatable({ id = i }, mt) end
end
make_finalizable(5000)
collectgarbage(); collectgarbage()
print("finalized", finalized, finalized_sum)

-- Weak-keyed and weak-valued tables.
local wk = setmetatable({}, { __mode = "k" })
local wv = setmetatable({}, { __mode = "v" })
local strong = {}
local function fill_weak(n)
  for i = 1, n do
    local k = {}
    wk[k] = i
    wv[i] = { i }
    if i % 10 == 0 then strong[#strong + 1] = k; strong[#strong + 1] = wv[i] end
  end
end
fill_weak(20000)
collectgarbage(); collectgarbage()
local nk, nv, sumk = 0, 0, 0
for _, v in pairs(wk) do nk = nk + 1; sumk = sumk + v end
for _ in pairs(wv) do nv = nv + 1 end
print("weak survivors", nk, nv, sumk)

-- Ephemeron: value refers to its own key, so the pair is collectable.
local eph = setmetatable({}, { __mode = "k" })
local function fill_eph(n) for i = 1, n do local k = {}; eph[k] = { k, i } end end
fill_eph(3000)
collectgarbage(); collectgarbage()
local ne = 0
for _ in pairs(eph) do ne = ne + 1 end
print("ephemerons left", ne)

-- Generational mode with the same work.
collectgarbage("generational")
finalized, finalized_sum = 0, 0
print("churn generational", churn(400, 200))
make_finalizable(3000)
collectgarbage(); collectgarbage()
print("finalized gen", finalized, finalized_sum)
collectgarbage("incremental")

-- Step-wise collection and memory going back down after dropping a big structure.
local big = {}
for i = 1, 200000 do big[i] = { i } end
local before = collectgarbage("count")
big = nil
collectgarbage()
print("memory dropped", collectgarbage("count") < before)
local steps = 0
for i = 1, 5000 do local _ = { i, i } ; if collectgarbage("step", 0) then steps = steps + 1 end end
print("step cycles > 0", steps > 0)

-- Long string buffers collected along the way.
local parts = {}
for i = 1, 3000 do parts[#parts + 1] = string.rep(string.char(65 + i % 26), i % 97) end
local joined = table.concat(parts)
print("joined", #joined, fmt("%08x", (function() local h = 0 for i = 1, #joined, 7 do h = (h * 31 + joined:byte(i)) & 0xffffffff end return h end)()))
print("strong", #strong)
