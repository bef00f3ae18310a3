-- wrk script: sign-ins. POST /login for the accounts of a list (one email per line) in turn, with one
-- pre-session CSRF cookie and its token fetched by curl beforehand (Tests/bench/portal.sh).
-- usage: wrk ... -s login.lua <url> -- <email list> <password> <pre-session cookie> <csrf token>
local emails, i, password, cookie, csrf = {}, 0, "", "", ""

local function urlencode(s)
    return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
    for line in io.lines(args[1]) do emails[#emails + 1] = line end
    password, cookie, csrf = args[2], args[3], args[4]
    i = math.random(#emails)
end

function request()
    i = i % #emails + 1
    local body = "email=" .. urlencode(emails[i]) .. "&password=" .. urlencode(password) .. "&_csrf=" .. urlencode(csrf) .. "&next="
    return wrk.format("POST", "/login", {
        ["Cookie"] = "csrf=" .. cookie,
        ["Content-Type"] = "application/x-www-form-urlencoded",
    }, body)
end

-- 303: signed in. 503: refused because every hashing slot and waiting place was taken (the designed
-- answer to a login storm: retry later). Anything else is a failure.
ok, busy, failed, last = 0, 0, 0, ""
function response(status, headers, body)
    if status == 303 then ok = ok + 1
    elseif status == 503 then busy = busy + 1
    else failed = failed + 1; last = tostring(status) end
end

local threads = {}
function setup(thread) threads[#threads + 1] = thread end
function done(summary, latency, requests)
    local o, b, f, l = 0, 0, 0, ""
    for _, thread in ipairs(threads) do
        o = o + (thread:get("ok") or 0); b = b + (thread:get("busy") or 0)
        f = f + (thread:get("failed") or 0); l = thread:get("last") or l
    end
    io.stderr:write(string.format("signed in: %d busy: %d refused: %d (last status %s)\n", o, b, f, l))
end
