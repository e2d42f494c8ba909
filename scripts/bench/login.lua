-- POST the sign-in form to the URL given to wrk. After `--`: the username,
-- the password, the CSRF token, and the CSRF cookie (`name=value`) that the
-- token belongs to. Every request is the same form, so it is built once.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local function form_encode(text)
   return (text:gsub("[^%w%-%._~]", function(char)
      return string.format("%%%02X", char:byte())
   end))
end

function init(args)
   if #args ~= 4 then
      error("login.lua: give USERNAME PASSWORD CSRF_TOKEN CSRF_COOKIE after --")
   end
   wrk.method = "POST"
   wrk.body = "username=" .. form_encode(args[1])
      .. "&password=" .. form_encode(args[2])
      .. "&csrf_token=" .. form_encode(args[3])
   wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
   wrk.headers["Cookie"] = args[4]
end
