-- wrk script: the booking POST. Each request takes the NEXT line of a list
-- "<session token><TAB><csrf secret><TAB><block id>" (fresh free blocks, patients round robin; written by
-- Tests/bench/portal.sh), with a new booking key, so every request is a real booking of a free block.
-- usage: wrk -t1 ... -s book.lua <url> -- <list file> <first line> <appointment type id>
-- A 303 is a booking; anything else is counted and reported on stderr at the end.
local lines, next_line, type_id = {}, 1, "1"

function init(args)
    for line in io.lines(args[1]) do
        local token, csrf, block = line:match("^(%S+)\t(%S+)\t(%d+)$")
        if token then lines[#lines + 1] = { token = token, csrf = csrf, block = block } end
    end
    next_line = tonumber(args[2] or "1")
    type_id = args[3] or "1"
end

sent = 0
function request()
    local entry = lines[next_line]
    if entry == nil then entry = lines[#lines] end  -- list exhausted: repeats are answered "already booked"
    next_line = next_line + 1
    sent = sent + 1
    local body = "_csrf=" .. entry.csrf .. "&booking_key=bench-" .. entry.block .. "-" .. sent ..
        "&appointment_type=" .. type_id .. "&reason=Benchmark+visit&patient_notes="
    return wrk.format("POST", "/patient/book/" .. entry.block, {
        ["Cookie"] = "session=" .. entry.token,
        ["Content-Type"] = "application/x-www-form-urlencoded",
    }, body)
end

booked, other, last_other = 0, 0, ""
function response(status, headers, body)
    if status == 303 then booked = booked + 1 else other = other + 1; last_other = tostring(status) end
end

local threads = {}
function setup(thread) threads[#threads + 1] = thread end
function done(summary, latency, requests)
    local b, o, s, last = 0, 0, 0, ""
    for _, thread in ipairs(threads) do
        b = b + (thread:get("booked") or 0); o = o + (thread:get("other") or 0)
        s = s + (thread:get("sent") or 0); last = thread:get("last_other") or last
    end
    io.stderr:write(string.format("booked: %d other: %d (last status %s) lines used: %d\n", b, o, last, s))
end
