-- hako.version: the release, one place for every --version.
return "0.1.0"
