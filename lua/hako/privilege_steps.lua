-- hako.privilege_steps: what the sandbox's processes may do: capabilities, ids, no_new_privs.

local caps = require "hako.caps"
local failure = require "hako.failure"

local check = failure.check

local M = {}

-- Empty the bounding set but for the kept capabilities, up to the kernel's last one
-- (PR_CAPBSET_DROP fails with EINVAL past it): not even a setuid-root file or uid 0
-- could get the others back.
local function limit_bounding_set(core, kept)
  for cap = 0, 63 do
    if not kept[cap] then
      local ok, message, errno = core.prctl(core.PR_CAPBSET_DROP, cap)
      if not ok then
        if errno == core.EINVAL then return end
        failure.from_core(message, errno)
      end
    end
  end
end

-- In a user namespace root made, this process is still host root, which the namespace
-- does not map: files it made would have no owner there (EOVERFLOW). Once the maps are
-- written it becomes uid and gid 0 of the namespace (the range's first ids on the host),
-- and sheds root's supplementary groups.
function M.become_mapped_root(_, state)
  local core = state.core
  check(core.setgroups({}))
  check(core.setresgid(0))
  check(core.setresuid(0))
end

-- Capabilities first (dropping the bounding set needs CAP_SETPCAP), then groups, group
-- and user (each change needs the privilege the next one drops), then the capabilities
-- the command keeps, and no_new_privs always: nothing it runs can gain privileges by exec.
function M.drop_privileges(step, state)
  local core = state.core
  local id = state.identity or { uid = 0, gid = 0, groups = { 0 } }
  local keep = step.keep_caps or {}
  local kept = {}
  for _, cap in ipairs(keep) do kept[cap] = true end
  limit_bounding_set(core, kept)
  check(core.prctl(core.PR_CAP_AMBIENT, core.PR_CAP_AMBIENT_CLEAR_ALL))
  if #keep > 0 then check(core.prctl(core.PR_SET_KEEPCAPS, 1)) end
  if step.setgroups then check(core.setgroups(id.groups)) end
  check(core.setresgid(id.gid))
  check(core.setresuid(id.uid))
  local mask = caps.mask(keep)
  check(core.capset(mask, mask, mask))
  -- Ambient, so that a non-root command keeps them across exec too.
  for _, cap in ipairs(keep) do check(core.prctl(core.PR_CAP_AMBIENT, core.PR_CAP_AMBIENT_RAISE, cap)) end
  check(core.prctl(core.PR_SET_NO_NEW_PRIVS, 1))
end

return M
