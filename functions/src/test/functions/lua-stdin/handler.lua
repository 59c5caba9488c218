-- A handler without parameters: it reads stdin and writes, like a script.
return function()
  local text = io.read("a")
  io.write(arg[1] == "--shout" and text:upper() or text)
end
