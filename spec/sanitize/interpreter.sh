#!/bin/sh
# spec/sanitize/interpreter.sh SPEC: how spec/sanitize/run.sh runs a spec file. By
# $HAKO_BUILD/hako, as a recipe (ASan and UBSan, hako.core linked in), but for the specs
# that test what hako does under a stock lua5.4 (hako.resume starts the interpreter it
# runs in again, by arg[-1]): lua5.4 with $HAKO_BUILD/lib/hako/core.so (UBSan).
case "$1" in
spec/resume_spec.lua) exec lua5.4 "$@" ;;
*) exec "$HAKO_BUILD/hako" "$@" ;;
esac
