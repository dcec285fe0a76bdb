-- Strings: format, gsub/gmatch/find with patterns, rep, byte/char, pack/unpack, utf8.
local fmt = string.format

print(fmt("[%5s][%-5s][%.2s][%q]", "ab", "ab", "abcdef", 'a "quoted"\n\0 string'))
print(fmt("%q %q %q", 1 / 3, math.mininteger, 255))
print(fmt("%10.4f|%-10d|%+d|%05d|%x|%c%c%c", 3.14159265, 42, 42, 42, 3735928559, 76, 117, 97))
print(fmt("%a", 1.0), fmt("%.3a", 0.1))
print(("hello world from lua"):gsub("o", "0"))
print(("hello world from lua"):gsub("(%w+)", "<%1>"))
print(("hello world"):gsub("(%w+) (%w+)", "%2 %1"))
print(("abc=123, def=456"):gsub("(%w+)=(%w+)", function(k, v) return v .. "=" .. k end))
print(("$name is $age"):gsub("%$(%w+)", { name = "lua", age = 30 }))
print(("  trim me  "):match("^%s*(.-)%s*$"), ("key = value"):match("^(%w+)%s*=%s*(%w+)$"))
print(("THE (quick) fox"):find("%((%a+)%)"), ("a.b.c"):find(".", 1, true), ("x"):rep(3, ","))
print(("%bxy"):len(), ("f(a(b)c)d"):match("%b()"), ("THE quick"):gsub("%f[%a]%a+", string.lower))
local words = {}
for w in ("one two  three\tfour\nfive"):gmatch("%S+") do words[#words + 1] = w end
print(#words, table.concat(words, "|"))
for k, v in ("a=1, b=2, c=3"):gmatch("(%w+)=(%w+)") do io.write(k, v, ";") end
print()
print(("abc"):byte(1, -1), string.char(72, 105), ("hello"):upper(), ("HeLLo"):lower(), ("abc"):reverse())
print(("hello"):sub(2, -2), ("hello"):sub(-3), ("hello"):sub(10), #("x"):rep(1000))

local packed = string.pack("<i4 i8 d z s2", -2, math.maxinteger, 2.5, "zero", "len")
print(#packed, string.unpack("<i4 i8 d z s2", packed))
print(utf8.char(72, 228, 8364, 128512), utf8.len("häll€"), utf8.codepoint("€", 1))
for p, c in utf8.codes("aä€") do io.write(p, ":", c, " ") end
print()

-- A long text-processing workload: build, substitute, count, hash.
local lines = {}
for i = 1, 60000 do
  lines[i] = fmt("%05d the quick brown fox %s jumps over %d lazy dogs %.3f", i,
                 ("xyz"):rep(i % 5), i * 7 % 13, i / 7)
end
local text = table.concat(lines, "\n")
local replaced, n = text:gsub("(%a+) (%a+)", "%2-%1")
local digits = select(2, text:gsub("%d", ""))
local count_fox = 0
for _ in text:gmatch("fox") do count_fox = count_fox + 1 end
local h = 5381
for i = 1, #replaced, 3 do h = (h * 33 + replaced:byte(i)) & 0xffffffff end
print("text", #text, n, digits, count_fox, fmt("%08x", h))
local upper = text:upper():sub(1, 60)
print(upper)
local csv = {}
for i = 1, 5000 do csv[#csv + 1] = tostring(i * i) end
local s = table.concat(csv, ",")
local sum = 0
for num in s:gmatch("%d+") do sum = sum + tonumber(num) end
print("csv", #s, sum)
