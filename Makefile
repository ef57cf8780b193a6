# hako: build, test, demo and install. `make help` lists the targets.
#
# CC, CFLAGS and LDFLAGS are honoured. With a musl compiler (CC='musl-gcc -static')
# Lua is built from Debian's lua5.4 source package and everything links statically.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
# bash-completion loads a command's completion from a file of its name here.
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# Where a stock lua5.4 finds modules: pkg-config's Lua dir under PREFIX, and the C
# module dir lua5.4 searches under PREFIX (Debian's multiarch one is not searched there).
LUA_LMOD ?= $(shell pkg-config --define-variable=prefix=$(PREFIX) --variable=INSTALL_LMOD lua5.4 2>/dev/null || echo $(PREFIX)/share/lua/5.4)
LUA_CMOD ?= $(PREFIX)/lib/lua/5.4

# The default launcher, when CC is not given and musl-gcc is there, is the static musl
# binary, made by a make of its own in $(B)/static and linked to $(B)/hako: no dynamic
# loader, a faster start and a smaller RSS (doc/PERFORMANCE.md). core.so, for a stock
# lua5.4, stays a dynamic module built with CC. STATIC_LAUNCHER=no, or any CC=..., gives
# the dynamically linked launcher; CC='musl-gcc -static' builds the static one here.
ifeq ($(origin CC),default)
STATIC_LAUNCHER ?= $(if $(shell command -v musl-gcc 2>/dev/null),yes,no)
else
STATIC_LAUNCHER ?= no
endif

# The static build is the small one (doc/PERFORMANCE.md P6: at most 400 KiB): -Os there.
ifneq (,$(findstring musl,$(CC)))
CFLAGS ?= -Os -g
LUA_STATIC_OPT ?= -Os
else
CFLAGS ?= -O2 -g
endif
WARNINGS = -std=c99 -Wall -Wextra -pedantic
LUA ?= lua5.4
B ?= build

ifneq (,$(findstring musl,$(CC)))
include c/static.mk
PIC =
CORE_SO =
else
LUA_CFLAGS := $(shell pkg-config --cflags lua5.4 2>/dev/null || echo -I/usr/include/lua5.4)
# Linking Lua statically saves the dynamic loader's work at every start.
LUA_LIBS := $(shell pkg-config --variable=libdir lua5.4 2>/dev/null)/liblua5.4.a -lm -ldl
LUAC := luac5.4
LUA_DEPS :=
PIC = -fPIC
CORE_SO = $(B)/lib/hako/core.so
endif

CORE_SRC = c/core.c c/process.c c/signal.c c/namespace.c c/mount.c c/file.c c/dir.c c/fd.c c/cred.c \
	c/net.c c/seccomp.c c/keys.c c/job.c c/landlock.c c/limits.c c/unix.c
CORE_OBJ = $(CORE_SRC:c/%.c=$(B)/obj/%.o)
MODULES = $(wildcard lua/hako/*.lua)
COMMANDS = bin/hako bin/hako-run bin/hako-enter bin/hako-seccomp
MANPAGES = $(wildcard bin/*.1)
MANPAGES7 = $(wildcard bin/*.7)
MANPAGES3 = $(wildcard bin/*.3)
MANPAGES5 = $(wildcard bin/*.5)
LINKS = $(B)/hako-run $(B)/hako-enter $(B)/hako-seccomp
# hako.syscalls, every ABI's system call numbers, read from the kernel headers at build
# time (c/gen_syscalls.lua): those of the family hako is built for are required.
SYSCALLS = $(B)/gen/hako/syscalls.lua
# hako.seccomp_prebuilt: the filters of the built-in profiles, compiled at build time by
# c/gen_prebuilt.lua with hako's own modules (a start then looks its filter up).
PREBUILT = $(B)/gen/hako/seccomp_prebuilt.lua
MACHINE := $(shell $(CC) -dumpmachine 2>/dev/null)
SYSCALL_FAMILY = $(if $(filter x86_64-% i386-% i486-% i586-% i686-%,$(MACHINE)),x86,$(if \
	$(filter aarch64-% arm-%,$(MACHINE)),arm,$(if $(filter riscv64-%,$(MACHINE)),riscv,unknown)))
# What the specs' stock lua5.4 searches: the tree's modules and the generated one.
SPEC_LUA_PATH = lua/?.lua;lua/?/init.lua;$(B)/gen/?.lua;spec/?.lua;;

.PHONY: all static check lint examples mutate bench demo deps install uninstall clean help
.PHONY: deb fuzz sanitize valgrind lua-modules install-lua
all: $(B)/hako $(LINKS) $(CORE_SO) $(SYSCALLS) $(PREBUILT)

help:
	@echo 'make [all]    build build/hako (static with musl if musl-gcc is there), its links (hako-run, hako-enter, hako-seccomp), build/lib/hako/core.so'
	@echo 'make static   one static binary with musl: $(B)/musl/hako (STATIC_LAUNCHER=no: a dynamic $(B)/hako)'
	@echo 'make check    install test dependencies if root, build, lint, run every test'
	@echo 'make lint     luacheck over lua/, bin/, spec/ and examples/; no source file over 400 lines'
	@echo 'make examples as root: run every recipe in examples/ (those that need the network say why not)'
	@echo 'make mutate   as root: remove each defence in turn; its tests must fail (about 10 min)'
	@echo 'make fuzz     every parser fed 100,000 inputs (about 3 min); SEED= PARSER= INDEX= replay one'
	@echo 'make sanitize the tests against an ASan and UBSan build in $(B)/sanitize, then valgrind'
	@echo 'make valgrind memcheck over hako without a sandbox: help, dry runs, failures, a recipe'
	@echo 'make bench    as root: hako against chroot, unshare, bwrap, crun; $(B)/bench-results.md'
	@echo 'make demo     install dependencies if root, build, run a busybox sandbox'
	@echo 'make install  PREFIX=$(PREFIX) DESTDIR= LUA_LMOD=$(LUA_LMOD) LUA_CMOD=$(LUA_CMOD)'
	@echo 'make deb      the Debian package (dpkg-buildpackage, debhelper): $(B)/deb/hako_VERSION_ARCH.deb'

# Objects are rebuilt when the compiler or its flags change (say, to CC=musl-gcc).
COMPILE = $(CC) $(WARNINGS) $(CFLAGS) $(PIC) $(LUA_CFLAGS)
$(B)/obj/.compiler: FORCE | $(B)/obj
	@echo '$(COMPILE)' | cmp -s - $@ || echo '$(COMPILE)' > $@
.PHONY: FORCE

$(B)/obj/%.o: c/%.c c/core.h $(B)/obj/.compiler $(LUA_DEPS) | $(B)/obj
	$(COMPILE) -c -o $@ $<

$(B)/obj/launcher.o: c/embedded.h

# Every module and command as bytecode from the luac of the Lua that is linked in.
# Stripped (-s): loading it costs a sixth less of hako-run's start-up instructions
# (callgrind). Failures keep their messages, which are hako's own; only an internal
# error's position in hako's code reads "?:-1" (the traceback still names the function).
$(B)/bytecode/%.luac: lua/hako/%.lua $(LUA_DEPS) Makefile | $(B)/bytecode
	$(LUAC) -s -o $@ $<
$(B)/bytecode/bin-%.luac: bin/% $(LUA_DEPS) Makefile | $(B)/bytecode
	$(LUAC) -s -o $@ $<

$(SYSCALLS): c/gen_syscalls.lua | $(B)/gen/hako
	$(LUA) c/gen_syscalls.lua $@ $(SYSCALL_FAMILY)
$(B)/bytecode/syscalls.luac: $(SYSCALLS) $(LUA_DEPS) | $(B)/bytecode
	$(LUAC) -s -o $@ $<
$(PREBUILT): c/gen_prebuilt.lua $(SYSCALLS) $(MODULES) | $(B)/gen/hako
	LUA_PATH='lua/?.lua;lua/?/init.lua;$(B)/gen/?.lua;;' $(LUA) c/gen_prebuilt.lua $@ $(MACHINE)
$(B)/bytecode/seccomp_prebuilt.luac: $(PREBUILT) $(LUA_DEPS) | $(B)/bytecode
	$(LUAC) -s -o $@ $<

# Debian's lua-dkjson, the JSON parser of OCI seccomp profiles (hako.seccomp_oci), built in
# as the module "dkjson" so that the binary reads no Lua file.
DKJSON ?= /usr/share/lua/5.4/dkjson.lua
$(B)/bytecode/ext-dkjson.luac: $(DKJSON) $(LUA_DEPS) Makefile | $(B)/bytecode
	$(LUAC) -s -o $@ $(DKJSON)

BYTECODE = $(MODULES:lua/hako/%.lua=$(B)/bytecode/%.luac) $(COMMANDS:bin/%=$(B)/bytecode/bin-%.luac) \
	$(B)/bytecode/syscalls.luac $(B)/bytecode/seccomp_prebuilt.luac $(B)/bytecode/ext-dkjson.luac
module_name = $(if $(filter init,$(1)),hako,hako.$(1))

$(B)/embedded.c: $(BYTECODE) c/embed.lua
	$(LUA) c/embed.lua $@ \
	  $(foreach m,$(MODULES:lua/hako/%.lua=%) syscalls seccomp_prebuilt,module:$(call module_name,$(m))=$(B)/bytecode/$(m).luac) \
	  module:dkjson=$(B)/bytecode/ext-dkjson.luac \
	  $(foreach c,$(COMMANDS:bin/%=%),command:$(c)=$(B)/bytecode/bin-$(c).luac)

$(B)/obj/embedded.o: $(B)/embedded.c c/embedded.h $(B)/obj/.compiler
	$(CC) $(CFLAGS) -Ic -c -o $@ $<

# Which launcher $(B)/hako is: a switch of STATIC_LAUNCHER relinks it.
$(B)/obj/.launcher: FORCE | $(B)/obj
	@echo '$(STATIC_LAUNCHER)' | cmp -s - $@ || echo '$(STATIC_LAUNCHER)' > $@

ifeq ($(STATIC_LAUNCHER),yes)
$(B)/hako: $(B)/obj/.launcher FORCE | $(B)
	@$(MAKE) --no-print-directory B=$(B)/static CC='musl-gcc -static' $(B)/static/hako
	@cmp -s $(B)/static/hako $@ || ln -f $(B)/static/hako $@
else
$(B)/hako: $(CORE_OBJ) $(B)/obj/launcher.o $(B)/obj/embedded.o $(B)/obj/.launcher
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter-out %/.launcher,$^) $(LUA_LIBS)
endif

$(LINKS): | $(B)
	ln -sf hako $@

$(B)/lib/hako/core.so: $(CORE_OBJ) | $(B)/lib/hako
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -o $@ $(CORE_OBJ)

# The escape suite's probe: static, so that it runs alone inside a busybox sandbox.
$(B)/probe: spec/probe/probe.c spec/probe/walk.c spec/probe/net.c spec/probe/syscall.c spec/probe/calls.c | $(B)
	$(CC) $(WARNINGS) $(CFLAGS) -static -o $@ $^

$(B) $(B)/obj $(B)/bytecode $(B)/lib/hako $(B)/gen/hako:
	mkdir -p $@

# One static binary (musl-tools): no dynamic loader at start, a third less start-up time.
static:
	$(MAKE) B=$(B)/musl CC='musl-gcc -static'

deps:
	@sh spec/deps.sh

# luacheck (.luacheckrc) and the house rule of small files: none over 400 lines.
MAX_LINES = 400
lint:
	luacheck --quiet --no-color lua bin/hako bin/hako-run bin/hako-enter bin/hako-seccomp spec examples
	@long=$$(find c lua bin spec examples Makefile -type f -exec wc -l {} + \
	  | awk '$$2 != "total" && $$1 > $(MAX_LINES) { print $$2 " (" $$1 " lines)" }'); \
	if [ -n "$$long" ]; then echo "over $(MAX_LINES) lines: $$long" >&2; exit 1; fi

# The tests run the built binary; TAP from luaunit, summed up by prove.
check: deps
	$(MAKE) lint
	$(MAKE) all $(B)/probe
	$(MAKE) examples
	$(LUA) spec/mutate/run.lua --check
	LUA_PATH='$(SPEC_LUA_PATH)' LUA_CPATH='$(B)/lib/?.so;;' HAKO_BUILD=$(B) \
	  prove --exec $(LUA) spec/*_spec.lua
	@# The escape suites again in the old mode (--userns host): both must hold.
	LUA_PATH='lua/?.lua;lua/?/init.lua;spec/?.lua;;' LUA_CPATH='$(B)/lib/?.so;;' HAKO_BUILD=$(B) \
	  HAKO_TEST_USERNS=host prove --exec $(LUA) spec/escape_*_spec.lua spec/enter_escape_spec.lua

# Every recipe in examples/, run as its README line says: status 0 passes, 77 is a skip
# (the example prints why: the network, say), anything else fails and shows its output.
EXAMPLES = $(wildcard examples/*.lua)
examples: all
	@for f in $(EXAMPLES); do \
	  out=$$(HAKO_EXAMPLES=check $(B)/hako $$f 2>&1); s=$$?; \
	  case $$s in \
	  0) echo "example $$f: ok";; \
	  77) echo "example $$f: $$(echo "$$out" | tail -n 1)";; \
	  *) echo "$$out"; echo "example $$f: FAILED (exit $$s)"; exit 1;; \
	  esac; \
	done

# Each defence removed in turn from a copy of the tree, which its tests must then fail
# (spec/mutate/mutants.lua); check only looks that every mutant still applies.
mutate: deps
	$(MAKE) all $(B)/probe
	$(LUA) spec/mutate/run.lua

# Every parser hostile people write for, fed FUZZ_COUNT inputs made from SEED
# (spec/fuzz/run.lua; spec/fuzz_spec.lua is make check's short pass). A failure prints
# its input and how to replay it alone: make fuzz SEED=s PARSER=p INDEX=i.
SEED ?= 1
FUZZ_COUNT ?= 100000
FUZZ_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
fuzz: deps
	$(MAKE) all
	LUA_PATH='$(SPEC_LUA_PATH)' LUA_CPATH='$(B)/lib/?.so;;' HAKO_BUILD=$(B) \
	  $(LUA) spec/fuzz/run.lua --seed $(SEED) --count $(FUZZ_COUNT) --jobs $(FUZZ_JOBS) \
	  $(if $(PARSER),--parser $(PARSER)) $(if $(INDEX),--index $(INDEX))

# The C under AddressSanitizer and UBSan, and make check's suite run against it
# (spec/sanitize/run.sh: a report from any process fails), then make valgrind. In
# $(B)/sanitize: hako (hako.core linked in) with ASan and UBSan, Lua's blocks all from
# malloc; lib/hako/core.so with UBSan alone, for the tests that load it into a stock
# lua5.4 (ASan's runtime must be a process's first library); the probe with UBSan
# trapping, no runtime (it is static, and ASan has no static runtime).
SANITIZE_B = $(B)/sanitize
ASAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
UBSAN_FLAGS = -fsanitize=undefined -fno-sanitize-recover=all
sanitize: deps
	$(MAKE) B=$(SANITIZE_B) STATIC_LAUNCHER=no CFLAGS='-O1 -g $(ASAN_FLAGS) -DARENA_SIZE=0' LDFLAGS='$(ASAN_FLAGS)' \
	  $(SANITIZE_B)/hako $(SANITIZE_B)/hako-run $(SANITIZE_B)/hako-enter $(SANITIZE_B)/hako-seccomp
	$(MAKE) B=$(SANITIZE_B)/ubsan STATIC_LAUNCHER=no CFLAGS='-O1 -g $(UBSAN_FLAGS)' LDFLAGS='$(UBSAN_FLAGS)' \
	  $(SANITIZE_B)/ubsan/lib/hako/core.so
	mkdir -p $(SANITIZE_B)/lib/hako && cp $(SANITIZE_B)/ubsan/lib/hako/core.so $(SANITIZE_B)/lib/hako/
	$(MAKE) B=$(SANITIZE_B) STATIC_LAUNCHER=no CFLAGS='-O1 -g -fsanitize=undefined -fsanitize-undefined-trap-on-error' \
	  $(SANITIZE_B)/probe
	sh spec/sanitize/run.sh $(SANITIZE_B)
	$(MAKE) valgrind

# memcheck (spec/sanitize/valgrind.sh) over the dynamically linked launcher, in
# $(B)/dynamic: in a static binary valgrind cannot replace malloc, and would see no leak.
valgrind: deps
	$(MAKE) B=$(B)/dynamic STATIC_LAUNCHER=no all
	sh spec/sanitize/valgrind.sh $(B)/dynamic

# Never part of check: timings belong in a report, not in a test verdict.
bench: deps
	$(MAKE) all
	sh spec/bench/bench.sh $(B)

demo: deps
	$(MAKE) all
	sh spec/demo.sh $(B)/hako-run

# The library alone, for a stock lua5.4 (the rockspec builds and installs only this).
lua-modules: $(CORE_SO) $(SYSCALLS) $(PREBUILT)
install-lua: lua-modules
	install -d $(DESTDIR)$(LUA_LMOD)/hako
	install -m 644 $(MODULES) $(SYSCALLS) $(PREBUILT) $(DESTDIR)$(LUA_LMOD)/hako/
ifneq (,$(CORE_SO))
	install -d $(DESTDIR)$(LUA_CMOD)/hako
	install -m 755 $(CORE_SO) $(DESTDIR)$(LUA_CMOD)/hako/core.so
endif

install: all install-lua
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(B)/hako $(DESTDIR)$(BINDIR)/hako
	ln -sf hako $(DESTDIR)$(BINDIR)/hako-run
	ln -sf hako $(DESTDIR)$(BINDIR)/hako-enter
	ln -sf hako $(DESTDIR)$(BINDIR)/hako-seccomp
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man1/
	install -d $(DESTDIR)$(MANDIR)/man7
	install -m 644 $(MANPAGES7) $(DESTDIR)$(MANDIR)/man7/
	install -d $(DESTDIR)$(MANDIR)/man3
	install -m 644 $(MANPAGES3) $(DESTDIR)$(MANDIR)/man3/
	install -d $(DESTDIR)$(MANDIR)/man5
	install -m 644 $(MANPAGES5) $(DESTDIR)$(MANDIR)/man5/
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 644 bin/hako.bash-completion $(DESTDIR)$(BASHCOMPDIR)/hako
	ln -sf hako $(DESTDIR)$(BASHCOMPDIR)/hako-run
	ln -sf hako $(DESTDIR)$(BASHCOMPDIR)/hako-enter
	ln -sf hako $(DESTDIR)$(BASHCOMPDIR)/hako-seccomp

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/hako $(DESTDIR)$(BINDIR)/hako-run $(DESTDIR)$(BINDIR)/hako-enter \
	  $(DESTDIR)$(BINDIR)/hako-seccomp
	rm -f $(MANPAGES:bin/%=$(DESTDIR)$(MANDIR)/man1/%) $(MANPAGES7:bin/%=$(DESTDIR)$(MANDIR)/man7/%)
	rm -f $(MANPAGES3:bin/%=$(DESTDIR)$(MANDIR)/man3/%) $(MANPAGES5:bin/%=$(DESTDIR)$(MANDIR)/man5/%)
	rm -f $(addprefix $(DESTDIR)$(BASHCOMPDIR)/,hako hako-run hako-enter hako-seccomp)
	rm -rf $(DESTDIR)$(LUA_LMOD)/hako $(DESTDIR)$(LUA_CMOD)/hako

# The Debian package, made by dpkg-buildpackage in a copy of the tree, so that neither the
# tree nor its parent gets debhelper's files: $(B)/deb/hako_VERSION_ARCH.deb. The package's
# version is debian/changelog's, which must be lua/hako/version.lua's. The build inside
# does not inherit this make's variables (B=/abs/path would be its own to clean).
VERSION = $(shell sed -n 's/^return "\(.*\)"$$/\1/p' lua/hako/version.lua)
deb:
	@command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || { echo "make deb:" \
	  "needs dpkg-dev and debhelper (as root: make deps, or apt-get install dpkg-dev debhelper)" >&2; exit 1; }
	@v=$$(dpkg-parsechangelog -S Version) && [ "$$v" = "$(VERSION)" ] || { echo "make deb:" \
	  "debian/changelog is at $$v, lua/hako/version.lua at $(VERSION): add an entry (dch -v $(VERSION))" >&2; exit 1; }
	rm -rf $(B)/deb && mkdir -p $(B)/deb/hako-$(VERSION)
	tar -cf - --exclude=./.git --exclude=./build --exclude=./$(B) . | tar -xf - -C $(B)/deb/hako-$(VERSION)
	cd $(B)/deb/hako-$(VERSION) && env -u MAKEFLAGS -u MAKEOVERRIDES -u MFLAGS -u MAKELEVEL dpkg-buildpackage --build=binary --no-sign -jauto
	rm -rf $(B)/deb/hako-$(VERSION)
	@echo "make deb: $(B)/deb/hako_$(VERSION)_$$(dpkg --print-architecture).deb"

clean:
	rm -rf $(B)
