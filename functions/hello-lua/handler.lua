-- A Lua function: handler.lua runs once, at deploy; the function it returns runs for
-- every request (a string) and returns the response.
local greeting = "Hello"

return function(request)
  local name = request:match("^%s*(.-)%s*$")
  if name == "" then name = "world" end
  return string.format("%s, %s!\n", greeting, name)
end
