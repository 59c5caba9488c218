-- A pure Lua module shipped in the function's bundle.
local M = {}

function M.tokens(text)
  local out = {}
  for w in text:lower():gmatch("[%w']+") do out[#out + 1] = w end
  return out
end

function M.frequencies(text)
  local counts = {}
  for _, w in ipairs(M.tokens(text)) do counts[w] = (counts[w] or 0) + 1 end
  local list = {}
  for w, n in pairs(counts) do list[#list + 1] = {w, n} end
  table.sort(list, function(a, b) if a[2] ~= b[2] then return a[2] > b[2] end return a[1] < b[1] end)
  return list
end

return M
