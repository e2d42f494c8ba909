-- GET the URL given to wrk with a session cookie: after `--`, the cookie's
-- name and then one or more tokens. Each wrk thread sends one of the tokens
-- (the first thread the first, and so on, round robin) in a request built
-- once, in `init`: no Lua runs per request, so the client costs what it
-- costs for plain.lua, on the cores it shares with the server.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local threads_set_up = 0

function setup(thread)
   thread:set("thread_index", threads_set_up)
   threads_set_up = threads_set_up + 1
end

function init(args)
   local name = args[1]
   local tokens = #args - 1
   if tokens < 1 then
      error("signed_in.lua: give the cookie's name and at least one token after --")
   end
   wrk.headers["Cookie"] = name .. "=" .. args[2 + thread_index % tokens]
end
