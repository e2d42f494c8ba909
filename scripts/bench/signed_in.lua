-- GET the URL given to wrk with a session cookie: after `--`, the cookie's
-- name and then one or more tokens; each request takes the next token,
-- round robin. The requests are built once, in `init`.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local requests = {}
local next_request = 1

function init(args)
   local name = args[1]
   for index = 2, #args do
      requests[#requests + 1] = wrk.format("GET", nil, { Cookie = name .. "=" .. args[index] })
   end
   if #requests == 0 then
      error("signed_in.lua: give the cookie's name and at least one token after --")
   end
end

function request()
   local next = requests[next_request]
   next_request = next_request % #requests + 1
   return next
end
