-- Closures and upvalues: shared and per-iteration upvalues, counters, recursion, varargs, goto.
local function counter()
  local n = 0
  return function() n = n + 1; return n end, function() return n end
end
local inc, get = counter()
for _ = 1, 10 do inc() end
print("counter", get())

-- Each loop iteration gets a fresh local; closures over a shared outer local see one variable.
local fs, shared = {}, 0
for i = 1, 5 do
  fs[i] = function() shared = shared + i; return i * 10 + shared end
end
local out = {}
for i = 1, 5 do out[#out + 1] = fs[i]() end
print("fresh", table.concat(out, " "), shared)

-- Upvalues closed when the block ends, still shared between two closures.
local a, b
do
  local x = 1
  a = function() x = x * 2; return x end
  b = function() return x end
end
a(); a()
print("closed", b())

-- Many closures created in a hot loop (each captures different values).
local adders = {}
for i = 1, 20000 do
  local k = i % 17
  adders[i] = function(v) return v + k + i end
end
local acc = 0
for round = 1, 100 do
  for i = 1, #adders do acc = adders[i](acc) % 1000000007 end
end
print("adders", acc)

-- Memoising recursive closure.
local memo = {}
local function fib(n)
  if n < 2 then return n end
  local m = memo[n]
  if m then return m end
  m = fib(n - 1) + fib(n - 2)
  memo[n] = m
  return m
end
print("fib", fib(90))
local function slowfib(n) if n < 2 then return n end return slowfib(n - 1) + slowfib(n - 2) end
print("slowfib", slowfib(29))

-- Varargs, select, table.pack/unpack.
local function va(...)
  local t = table.pack(...)
  return select("#", ...), t.n, select(-1, ...), (select(2, ...))
end
print("varargs", va(1, nil, 3, nil))
print("unpack", table.unpack({ 1, 2, 3, 4, 5 }, 2, 4))
local function sum(...)
  local s = 0
  for i = 1, select("#", ...) do s = s + (select(i, ...) or 0) end
  return s
end
print("sum", sum(1, 2, 3, nil, 5))

-- Function composition and currying.
local function compose(f, g) return function(...) return f(g(...)) end end
local function curry(f, x) return function(...) return f(x, ...) end end
local h = compose(curry(math.max, 7), function(a, b) return a * b, a + b end)
print("compose", h(2, 3), h(5, 6))

-- goto continue.
local evens = {}
for i = 1, 20 do
  if i % 2 == 1 then goto continue end
  evens[#evens + 1] = i
  ::continue::
end
print("goto", table.concat(evens, ","))

-- Object-style closures with metatables and inheritance.
local Account = {}
Account.__index = Account
function Account.new(b) return setmetatable({ balance = b }, Account) end
function Account:deposit(v) self.balance = self.balance + v end
local Special = setmetatable({}, { __index = Account })
Special.__index = Special
function Special:deposit(v) Account.deposit(self, v * 2) end
local acct = setmetatable({ balance = 0 }, Special)
for i = 1, 1000 do acct:deposit(i) end
local plain = Account.new(5)
plain:deposit(10)
print("accounts", acct.balance, plain.balance)
