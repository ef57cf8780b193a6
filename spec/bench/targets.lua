-- targets.lua: the bench's verdicts on doc/PERFORMANCE.md's targets, one table, every
-- time a ratio to the kernel floor (floor.c) and, for reference, to bwrap, all from the
-- sessions tables.lua has just run.

local m = require "measure"

local M = {}

local function by(rows, name)
  return m.by_name(rows, name)
end

local function ratio(a, b)
  if a and b and a.median and b.median then return a.median / b.median end
end

-- µs per bind at n binds for a tool of table 2: (its time at n - at 0) / n.
local function per_bind(t2, extra_ms, tool, n)
  for _, row in ipairs(t2) do
    if row.tool == tool and row.n == n then
      local extra = extra_ms(row)
      return extra and extra * 1000 / n
    end
  end
end

local function x(value)
  return value and string.format("%.2f×", value) or "n/a"
end

-- A row of the targets table: what, value, × floor, × bwrap, target, verdict. limit is a
-- number, or { number, "how the target reads" }.
local function line(say, what, value, vs_floor, vs_bwrap, limit, measured)
  local number, text = limit, tostring(limit)
  if type(limit) == "table" then number, text = limit[1], limit[2] end
  local verdict = measured == nil and "not measurable" or (measured <= number and "met" or "MISSED")
  say(string.format("| %s | %s | %s | %s | ≤ %s | %s |", what, value, vs_floor, vs_bwrap, text, verdict))
end

-- The size that ships: without the debug info of the default -g.
local function stripped_kib(path, dir, binary)
  local copy = dir .. "/stripped"
  if not os.execute("strip -o " .. copy .. " " .. m.quote(path)) then return nil end
  local bytes = binary(copy)
  os.remove(copy)
  return bytes / 1024
end

function M.report(say, r)
  local t1, t2, t3, t4 = r.t1, r.t2, r.t3, r.t4
  local bwrap = by(t1, r.bwrap)
  say("\n## Targets (doc/PERFORMANCE.md)\n")
  say("| # | measured | value | × floor | × bwrap | target (× floor unless said) | verdict |")
  say("|---|---|---|---|---|---|---|")

  local p1, floor1 = by(t1, "hako-run -N host"), by(t1, "floor (kernel work of -N host)")
  local p1_ratio = ratio(p1, floor1)
  line(say, "P1 | hako-run -N host ROOT /bin/true", p1 and p1.median and m.fmt(p1.median) .. " ms" or "n/a",
    x(p1_ratio), x(ratio(p1, bwrap)), 1.25, p1_ratio)
  local static1 = by(t1, "hako-run -N host (static musl build)")
  if static1 then
    line(say, "P1 | the same, static musl build", static1.median and m.fmt(static1.median) .. " ms" or "n/a",
      x(ratio(static1, floor1)), x(ratio(static1, bwrap)), 1.25, ratio(static1, floor1))
  end
  say(string.format("| | floor / bwrap (for reference) | | | %s | | |", x(ratio(floor1, bwrap))))

  local p2, floor2 = by(t1, "hako-run default (new netns)"), by(t1, "floor -n (netns and lo up)")
  local p2_ratio = ratio(p2, floor2)
  line(say, "P2 | hako-run ROOT /bin/true (new netns)", p2 and p2.median and m.fmt(p2.median) .. " ms" or "n/a",
    x(p2_ratio), x(ratio(p2, by(t1, "bwrap --unshare-net"))) .. " (--unshare-net)", 1.25, p2_ratio)

  for _, n in ipairs({ 100, 1000 }) do
    local hako, floor, bw = per_bind(t2, r.extra_ms, "hako-run", n), per_bind(t2, r.extra_ms, "floor", n),
      per_bind(t2, r.extra_ms, "bwrap", n)
    -- Below noise (a floor per bind at or under zero) says nothing either way.
    local vs = hako and floor and floor > 0 and hako / floor or nil
    line(say, "P3 | µs per read-only bind at " .. n .. " binds",
      hako and string.format("%.0f µs (floor %.0f)", hako, floor or 0) or "n/a", x(vs),
      x(hako and bw and hako / bw), 1.3, vs)
  end

  local p4 = ratio(t3[2], t3[1])
  line(say, "P4 | hako-enter PID /bin/true", t3[2].median and m.fmt(t3[2].median) .. " ms" or "n/a",
    "", "", 1.1, p4)
  say(string.format("| | (× nsenter -a -t PID) | | %s | | | |", x(p4)))
  for i = 3, #t3 do
    line(say, "P4 | " .. t3[i].name, t3[i].median and m.fmt(t3[i].median) .. " ms" or "n/a", "",
      x(ratio(t3[i], t3[1])) .. " (× nsenter)", 1.1, ratio(t3[i], t3[1]))
  end

  local p5 = t4[2].median and t4[1].median and t4[2].median - t4[1].median
  line(say, "P5 | hako --version minus /bin/true", p5 and string.format("%+.2f ms", p5) or "n/a", "", "",
    { 0.3, "0.3 ms" }, p5)

  local hako_rss, bwrap_rss, floor_rss = r.rss[1][2], r.rss[2][2], r.rss[3][2]
  line(say, "RSS | peak RSS of hako-run -N host", hako_rss .. " KiB", x(hako_rss / floor_rss),
    x(hako_rss / bwrap_rss), { 1, "1.0 × bwrap" }, hako_rss / bwrap_rss)

  local size, static = r.binary(r.hako)
  local p6 = static and stripped_kib(r.hako, r.dir, r.binary) or
    (r.static and stripped_kib(r.static .. "/hako", r.dir, r.binary))
  line(say, "P6 | the static binary, stripped", p6 and string.format("%.0f KiB", p6) or "no static build",
    "", "", { 400, "400 KiB" }, p6)
  say(string.format("\n%s: %d bytes, %s.", r.hako, size or 0, static and "static" or "dynamically linked"))
end

return M
