-- Integer and float arithmetic: wraparound, floor division, modulo, bitwise ops, conversions,
-- and a long mixing loop whose checksum depends on every step.
local fmt = string.format

print(math.maxinteger, math.mininteger, math.maxinteger + 1 == math.mininteger)
print(7 // 2, -7 // 2, 7 % -3, -7 % 3, 7.5 // 2, -7.5 % 2, 1 / 0, -1 / 0)
print(3 | 5, 3 & 5, 3 ~ 5, ~0, 1 << 62, 1 << 63, 1 << 64, -1 >> 1)
print(math.type(1), math.type(1.0), math.type("1"), math.tointeger(3.0), math.tointeger(3.5))
print(10 == 10.0, "10" + 1, "0x10" + 0, "1e2" * 1, 2^53 == 2^53 + 1, math.ult(1, -1))
print(fmt("%.17g %.17g %.17g", 0.1 + 0.2, math.pi, math.sqrt(2)))
print(fmt("%d %x %X %o", 255, 255, 255, 8), fmt("%5.2f|%-8.3e|%g", math.pi, 12345.678, 1e300 * 10))
print(math.floor(-3.5), math.ceil(-3.5), math.abs(math.mininteger), math.fmod(-7, 3), math.fmod(7, -3))
print(pcall(function() return 1 // 0 end))
print(pcall(function() return 1 % 0 end))
print(1 // 0.0, -1 // 0.0, 0/0 ~= 0/0)

-- A long integer mixing loop (xorshift + multiply, wraps on overflow).
local x = 0x2545F4914F6CDD1D
local acc = 0
for i = 1, 3000000 do
  x = x ~ (x << 13)
  x = x ~ (x >> 7)
  x = x ~ (x << 17)
  acc = acc + (x % 1000003) * i
end
print("xorshift", x, acc)

-- Float accumulation in a fixed order.
local s = 0.0
for i = 1, 1000000 do
  s = s + math.sin(i) / i + (i % 7) * 1e-3
end
print("float sum", fmt("%.12f", s))

-- Sieve of Eratosthenes.
local N = 2000000
local comp = {}
local count, last = 0, 0
for i = 2, N do
  if not comp[i] then
    count, last = count + 1, i
    for j = i * i, N, i do comp[j] = true end
  end
end
print("primes", count, last)

-- Integer/float for-loops with steps, including negative and float steps.
local t = {}
for i = 10, 1, -3 do t[#t + 1] = i end
for f = 0, 1, 0.25 do t[#t + 1] = f end
print(table.concat(t, " "))
