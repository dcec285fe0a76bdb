-- Coroutines: generators, producer/consumer pipelines, wrap, status, yield across pcall, close.
local function gen(n)
  return coroutine.wrap(function()
    for i = 1, n do coroutine.yield(i) end
  end)
end
local s = 0
for v in gen(1000000) do s = s + v end
print("gen sum", s)

local function producer(n)
  return coroutine.create(function()
    for i = 1, n do coroutine.yield(string.format("item%d", i)) end
    return "done"
  end)
end
local function filter(src)
  return coroutine.create(function()
    while true do
      local ok, v = coroutine.resume(src)
      if coroutine.status(src) == "dead" then return v end
      if #v % 2 == 0 then coroutine.yield(v:upper()) end
    end
  end)
end
local p = filter(producer(200000))
local got, last = 0, nil
while true do
  local ok, v = coroutine.resume(p)
  if coroutine.status(p) == "dead" then last = v; break end
  got = got + 1
end
print("pipeline", got, last)

local co = coroutine.create(function(a, b)
  print("start", a, b, coroutine.isyieldable())
  local c = coroutine.yield(a + b)
  print("got", c)
  local d, e = coroutine.yield(c * 2)
  print("got", d, e)
  return d + e, "end"
end)
print(coroutine.resume(co, 1, 2))
print(coroutine.status(co))
print(coroutine.resume(co, 10))
print(coroutine.resume(co, 3, 4))
print(coroutine.status(co), coroutine.resume(co))
print("main yieldable", coroutine.isyieldable())

-- Yield across pcall, errors inside coroutines.
local co2 = coroutine.create(function()
  local ok, err = pcall(function()
    coroutine.yield("inside pcall")
    error({ code = 42 })
  end)
  coroutine.yield(ok, type(err) == "table" and err.code)
  error("boom", 0)
end)
print(coroutine.resume(co2))
print(coroutine.resume(co2))
print(coroutine.resume(co2))
print(coroutine.status(co2))

-- coroutine.close runs pending to-be-closed variables.
local closed = {}
local co3 = coroutine.create(function()
  local x <close> = setmetatable({}, { __close = function() closed[#closed + 1] = "x" end })
  coroutine.yield(1)
end)
coroutine.resume(co3)
print("close", coroutine.close(co3), table.concat(closed), coroutine.status(co3))

-- Many coroutines alive at once, resumed round-robin.
local cos = {}
for i = 1, 10000 do
  cos[i] = coroutine.create(function()
    local acc = 0
    for k = 1, 20 do acc = acc + k * i; coroutine.yield(acc) end
    return acc
  end)
end
local total = 0
for round = 1, 21 do
  for i = 1, #cos do
    local ok, v = coroutine.resume(cos[i])
    if ok and v then total = total + v end
  end
end
print("round robin", total)

-- Deep recursion inside a coroutine.
local deep = coroutine.wrap(function()
  local function rec(n) if n == 0 then return 0 end return 1 + rec(n - 1) end
  coroutine.yield(rec(10000))
end)
print("deep", deep())
