-- hako.common_options: the options hako-run and hako-enter share, described once.

return {
  user = { short = "u", long = "user", key = "user", value = "USER",
    help = "run as USER, a name in the sandbox's /etc/passwd or a number" },
  group = { short = "g", long = "group", key = "group", value = "GROUP",
    help = "run with GROUP as the only group (name or number)" },
  env = { short = "e", long = "env", key = "env", value = "NAME=VALUE", list = true,
    help = "set a variable in the command's environment (repeatable)" },
  keep_env = { long = "keep-env", key = "keep_env",
    help = "pass on this environment instead of a clean one" },
  dry_run = { short = "n", long = "dry-run", key = "dry_run",
    help = "print the plan, every step in order, and exit without running it" },
  help = { short = "h", long = "help", key = "help", help = "show this help and exit" },
  version = { short = "V", long = "version", key = "version", help = "show the version and exit" },
}
