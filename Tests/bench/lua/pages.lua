-- wrk script: GET a random line of a list "<session token or -><TAB><path>" (Tests/bench/portal.sh writes it).
-- usage: wrk ... -s pages.lua <url> -- <list file>
local lines = {}

function init(args)
    for line in io.lines(args[1]) do
        local token, path = line:match("^(%S+)\t(%S+)$")
        if token then lines[#lines + 1] = { token = token, path = path } end
    end
    math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end

function request()
    local entry = lines[math.random(#lines)]
    local headers = {}
    if entry.token ~= "-" then headers["Cookie"] = "session=" .. entry.token end
    return wrk.format("GET", entry.path, headers)
end

failures = 0
function response(status, headers, body)
    if status ~= 200 then failures = failures + 1 end
end

local threads = {}
function setup(thread) threads[#threads + 1] = thread end
function done(summary, latency, requests)
    local total = 0
    for _, thread in ipairs(threads) do total = total + (thread:get("failures") or 0) end
    io.stderr:write(string.format("non-200 responses: %d\n", total))
end
