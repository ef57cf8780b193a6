# static.mk: fully static build against Lua 5.4 built from Debian's own source.
# Included by the main Makefile when $(CC) contains "musl", e.g.
#   make CC='musl-gcc -static'
# Paths are relative to the directory make runs in (the repository root).
#
# The Lua sources are fetched once by c/fetch-lua-source.sh into $(LUA_SRC_DIR);
# library and luac are compiled from them with Lua's own flags (upstream's
# "posix" configuration: no dlopen, no readline), so the bytecode the build
# embeds is produced by exactly the Lua release that is linked in.
#
# Provides: LUA_CFLAGS, LUA_LIBS, LUAC (all "override"), and LUA_DEPS, the
# prerequisites for the launcher's objects/link and for the bytecode rules.

HAKO_STATIC_MK_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
# The rules below must not become the default goal of the including Makefile.
HAKO_STATIC_SAVED_GOAL := $(.DEFAULT_GOAL)

LUA_SRC_DIR     := build/lua-src
LUA_STATIC_DIR  := build/static
LUA_STATIC_LIB  := $(LUA_STATIC_DIR)/liblua.a
LUA_STATIC_LUAC := $(LUA_STATIC_DIR)/luac
LUA_STATIC_OBJ_DIR := $(LUA_STATIC_DIR)/lua
LUA_STAMP       := $(LUA_SRC_DIR)/.fetched

# Lua 5.4's CORE_O and LIB_O (src/Makefile): every src/*.c but lua.c and luac.c.
# The fetch rule checks that the extracted release has no other .c file.
LUA_STATIC_MODULES := lapi lcode lctype ldebug ldo ldump lfunc lgc llex lmem \
	lobject lopcodes lparser lstate lstring ltable ltm lundump lvm lzio \
	lauxlib lbaselib lcorolib ldblib liolib lmathlib loadlib loslib lstrlib \
	ltablib lutf8lib linit
LUA_STATIC_OBJS := $(LUA_STATIC_MODULES:%=$(LUA_STATIC_OBJ_DIR)/%.o)
LUA_STATIC_SRCS := $(LUA_STATIC_MODULES:%=$(LUA_SRC_DIR)/src/%.c) $(LUA_SRC_DIR)/src/luac.c

# Lua's own flags (upstream src/Makefile, "posix" target, as Debian's build:
# LUA_COMPAT_5_3 on). LUA_USE_POSIX rather than LUA_USE_LINUX: the latter adds
# LUA_USE_DLOPEN (-ldl), useless in a static binary. Of the user's CFLAGS only
# optimisation, debug, machine and code-generation options are passed on (a
# later -Os wins over the -O2); Lua is not -pedantic clean, so warnings are off.
LUA_STATIC_OPT    ?= -O2
LUA_STATIC_CFLAGS  = -std=gnu99 $(LUA_STATIC_OPT) \
	$(filter-out -fanalyzer% -fsanitize% -fdiagnostics%,$(filter -O% -g% -m% -f%,$(CFLAGS))) -w
LUA_STATIC_CPPFLAGS := -DLUA_COMPAT_5_3 -DLUA_USE_POSIX

override LUA_CFLAGS := -I$(LUA_SRC_DIR)/src
override LUA_LIBS   := $(LUA_STATIC_LIB) -lm
override LUAC       := $(LUA_STATIC_LUAC)
LUA_DEPS := $(LUA_STATIC_LIB) $(LUA_STATIC_LUAC)

# Fetch once. The .c files exist only after this ran: order-only, so their
# (old, tar-preserved) times never force a rebuild.
$(LUA_STAMP):
	sh $(HAKO_STATIC_MK_DIR)/fetch-lua-source.sh $(LUA_SRC_DIR)
	@cd $(LUA_SRC_DIR)/src && for f in *.c; do \
	  case " $(LUA_STATIC_MODULES) lua luac onelua " in *" $${f%.c} "*) ;; \
	  *) echo "static.mk: $(LUA_SRC_DIR)/src/$$f is not in LUA_STATIC_MODULES (new Lua release?)" >&2; exit 1 ;; \
	  esac; done
	@touch $@
$(LUA_STATIC_SRCS): | $(LUA_STAMP)

# Rebuild Lua's objects when compiler or flags change (e.g. -Os <-> -O2).
LUA_STATIC_FLAGS_FILE := $(LUA_STATIC_OBJ_DIR)/.flags
LUA_STATIC_FLAGS_NOW   = $(CC) $(LUA_STATIC_CFLAGS) $(LUA_STATIC_CPPFLAGS) $(LDFLAGS)
$(LUA_STATIC_FLAGS_FILE): hako-static-lua-flags
	@mkdir -p $(@D)
	@echo '$(LUA_STATIC_FLAGS_NOW)' | cmp -s - $@ || echo '$(LUA_STATIC_FLAGS_NOW)' >$@
.PHONY: hako-static-lua-flags

$(LUA_STATIC_OBJS) $(LUA_STATIC_OBJ_DIR)/luac.o: $(LUA_STATIC_OBJ_DIR)/%.o: $(LUA_SRC_DIR)/src/%.c $(LUA_STATIC_FLAGS_FILE)
	@mkdir -p $(@D)
	$(CC) $(LUA_STATIC_CFLAGS) $(LUA_STATIC_CPPFLAGS) -c -o $@ $<

$(LUA_STATIC_LIB): $(LUA_STATIC_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# luac.c uses Lua's internal headers and (hidden) internal functions: it is
# linked against the static archive, just as upstream builds it.
$(LUA_STATIC_LUAC): $(LUA_STATIC_OBJ_DIR)/luac.o $(LUA_STATIC_LIB)
	$(CC) $(LUA_STATIC_CFLAGS) $(LDFLAGS) -o $@ $^ -lm

.DEFAULT_GOAL := $(HAKO_STATIC_SAVED_GOAL)
