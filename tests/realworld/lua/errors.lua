-- Errors: error/pcall/xpcall, error values and levels, metamethods, to-be-closed variables.
local function strip(msg) return (tostring(msg):gsub("^[^:]*:%d+: ", "")) end

print(pcall(error, "plain", 0))
local ok0, e0 = pcall(error, { code = 7 })
print(ok0, type(e0), e0.code)
print(select(2, pcall(error, nil)))
local ok, e = pcall(function() local t = nil; return t.x end)
print(ok, strip(e))
ok, e = pcall(function() return 1 + {} end)
print(ok, strip(e))
ok, e = pcall(function() return #5 end)
print(ok, strip(e))
ok, e = pcall(function() return ("x"):bad() end)
print(ok, strip(e))
ok, e = pcall(function() return math.tointeger("x") .. 1 end)
print(ok, strip(e))
ok, e = pcall(string.rep)
print(ok, strip(e))
ok, e = pcall(function() error("at level 2", 2) end)
print(ok, strip(e))

print(xpcall(function() error("handled") end, function(m) return "handler: " .. strip(m) end))
print(xpcall(function(a, b) return a + b end, print, 3, 4))
local depth = 0
local function nested(n)
  if n == 0 then error({ depth = depth }) end
  depth = depth + 1
  local ok2, err = pcall(nested, n - 1)
  error(err)
end
print("nested", select(2, pcall(nested, 50)).depth)

-- Stack overflow is caught.
local function inf(n) return 1 + inf(n + 1) end
ok, e = pcall(inf, 1)
print("overflow", ok, (strip(e):match("stack overflow")))

-- Metamethods.
local V = {}
V.__index = V
V.__add = function(a, b) return setmetatable({ x = a.x + b.x }, V) end
V.__eq = function(a, b) return a.x == b.x end
V.__lt = function(a, b) return a.x < b.x end
V.__le = function(a, b) return a.x <= b.x end
V.__concat = function(a, b) return tostring(a) .. tostring(b) end
V.__tostring = function(a) return "V(" .. a.x .. ")" end
V.__call = function(self, y) return self.x * y end
V.__len = function() return 99 end
V.__unm = function(a) return setmetatable({ x = -a.x }, V) end
V.__idiv = function(a, n) return setmetatable({ x = a.x // n }, V) end
local function v(x) return setmetatable({ x = x }, V) end
print(tostring(v(1) + v(2)), v(3) == v(3), v(1) < v(2), v(2) <= v(1), v(4)(5), #v(0), tostring(-v(3)), tostring(v(7) // 2))
print(v(1) .. v(2), "s" .. tostring(v(9)))
local log = {}
local proxy = setmetatable({}, {
  __index = function(_, k) log[#log + 1] = "get " .. k; return k .. "!" end,
  __newindex = function(t, k, val) log[#log + 1] = "set " .. k; rawset(t, k, val) end,
})
local _ = proxy.a
proxy.b = 1
local _ = proxy.b
print(table.concat(log, ","), rawget(proxy, "a"), proxy.b)

-- To-be-closed variables run in reverse order, also on error.
local order = {}
local function closer(name) return setmetatable({}, { __close = function(_, err) order[#order + 1] = name .. (err and ":err" or "") end }) end
do
  local a <close> = closer("a")
  local b <close> = closer("b")
end
pcall(function()
  local c <close> = closer("c")
  error("x")
end)
print("close order", table.concat(order, " "))

-- A loop that raises and catches many errors (error objects are garbage).
local caught, sum = 0, 0
for i = 1, 100000 do
  local ok3, err = pcall(function(k) if k % 3 == 0 then error({ k = k }) end return k end, i)
  if ok3 then sum = sum + err else caught = caught + 1; sum = sum - err.k end
end
print("caught", caught, sum)
print("tonumber", tonumber("0x1p4"), tonumber("10", 2), tonumber("zz", 36), tonumber("1e"), tonumber(" 12 "))
