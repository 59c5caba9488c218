-- What the runtime tests ask of Lua: the standard library, a module from the bundle,
-- per-invocation randomness and clocks, /tmp, and errors.
local textkit = require("textkit")

local loaded_at = os.time()       -- runs once, at deploy
local init_random = math.random()

local function stats(text)
  local words = textkit.tokens(text)
  local out = {}
  out[#out + 1] = string.format("words=%d", #words)
  for i, pair in ipairs(textkit.frequencies(text)) do
    if i > 3 then break end
    out[#out + 1] = string.format("%s=%d", pair[1], pair[2])
  end
  local _, vowels = text:gsub("[aeiou]", "")
  out[#out + 1] = string.format("vowels=%d sqrt=%.6f floor=%d", vowels, math.sqrt(#text), math.floor(#text / 3))
  out[#out + 1] = string.format("utf8=%d upper=%s", utf8.len("h\u{e9}llo"), text:upper():sub(1, 5))
  out[#out + 1] = os.date("!%Y-%m-%d", 86400 * #words)
  local seen, unique = {}, {}
  for _, w in ipairs(words) do
    if not seen[w] then seen[w] = true; unique[#unique + 1] = w end
  end
  table.sort(unique)
  out[#out + 1] = table.concat(unique, ",")
  return table.concat(out, " ") .. "\n"
end

return function(request)
  local command, rest = request:match("^(%S*) ?(.*)$")
  if command == "stats" then return stats(rest) end
  if command == "random" then
    return string.format("%.17g %.17g\n", math.random(), init_random)
  end
  if command == "clock" then
    return string.format("%d %d\n", os.time(), loaded_at)
  end
  if command == "tmp" then
    local before = io.open("/tmp/state", "r") ~= nil
    local f = assert(io.open("/tmp/state", "w"))
    f:write(rest)
    f:close()
    f = assert(io.open("/tmp/state", "r"))
    local now = f:read("a")
    f:close()
    return string.format("before=%s now=%s\n", tostring(before), now)
  end
  if command == "raise" then error("asked to fail: " .. rest) end
  if command == "print" then
    print("printed " .. rest)
    io.stderr:write("to stderr\n")
    return nil
  end
  return "unknown command " .. command .. "\n"
end
