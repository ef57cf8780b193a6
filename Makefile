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
COMMANDS = bin/hako bin/hako-run bin/hako-enter
MANPAGES = $(wildcard bin/*.1)
MANPAGES7 = $(wildcard bin/*.7)
MANPAGES3 = $(wildcard bin/*.3)
LINKS = $(B)/hako-run $(B)/hako-enter

.PHONY: all static check lint examples mutate bench demo deps install uninstall clean help
.PHONY: deb fuzz sanitize valgrind
all: $(B)/hako $(LINKS) $(CORE_SO)

help:
	@echo 'make [all]    build build/hako, its hako-run and hako-enter links and build/lib/hako/core.so'
	@echo 'make static   the same, one static binary with musl: $(B)/musl/hako (faster start)'
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

BYTECODE = $(MODULES:lua/hako/%.lua=$(B)/bytecode/%.luac) $(COMMANDS:bin/%=$(B)/bytecode/bin-%.luac)
module_name = $(if $(filter init,$(1)),hako,hako.$(1))

$(B)/embedded.c: $(BYTECODE) c/embed.lua
	$(LUA) c/embed.lua $@ \
	  $(foreach m,$(MODULES:lua/hako/%.lua=%),module:$(call module_name,$(m))=$(B)/bytecode/$(m).luac) \
	  $(foreach c,$(COMMANDS:bin/%=%),command:$(c)=$(B)/bytecode/bin-$(c).luac)

$(B)/obj/embedded.o: $(B)/embedded.c c/embedded.h $(B)/obj/.compiler
	$(CC) $(CFLAGS) -Ic -c -o $@ $<

$(B)/hako: $(CORE_OBJ) $(B)/obj/launcher.o $(B)/obj/embedded.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LUA_LIBS)

$(LINKS): | $(B)
	ln -sf hako $@

$(B)/lib/hako/core.so: $(CORE_OBJ) | $(B)/lib/hako
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -o $@ $(CORE_OBJ)

# The escape suite's probe: static, so that it runs alone inside a busybox sandbox.
$(B)/probe: spec/probe/probe.c spec/probe/walk.c spec/probe/net.c | $(B)
	$(CC) $(WARNINGS) $(CFLAGS) -static -o $@ $^

$(B) $(B)/obj $(B)/bytecode $(B)/lib/hako:
	mkdir -p $@

# One static binary (musl-tools): no dynamic loader at start, a third less start-up time.
static:
	$(MAKE) B=$(B)/musl CC='musl-gcc -static'

deps:
	@sh spec/deps.sh

# luacheck (.luacheckrc) and the house rule of small files: none over 400 lines.
MAX_LINES = 400
lint:
	luacheck --quiet --no-color lua bin/hako bin/hako-run bin/hako-enter spec examples
	@long=$$(find c lua bin spec examples Makefile -type f -exec wc -l {} + \
	  | awk '$$2 != "total" && $$1 > $(MAX_LINES) { print $$2 " (" $$1 " lines)" }'); \
	if [ -n "$$long" ]; then echo "over $(MAX_LINES) lines: $$long" >&2; exit 1; fi

# The tests run the built binary; TAP from luaunit, summed up by prove.
check: deps
	$(MAKE) lint
	$(MAKE) all $(B)/probe
	$(MAKE) examples
	$(LUA) spec/mutate/run.lua --check
	LUA_PATH='lua/?.lua;lua/?/init.lua;spec/?.lua;;' LUA_CPATH='$(B)/lib/?.so;;' HAKO_BUILD=$(B) \
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
	LUA_PATH='lua/?.lua;lua/?/init.lua;spec/?.lua;;' LUA_CPATH='$(B)/lib/?.so;;' HAKO_BUILD=$(B) \
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
	$(MAKE) B=$(SANITIZE_B) CFLAGS='-O1 -g $(ASAN_FLAGS) -DARENA_SIZE=0' LDFLAGS='$(ASAN_FLAGS)' \
	  $(SANITIZE_B)/hako $(SANITIZE_B)/hako-run $(SANITIZE_B)/hako-enter
	$(MAKE) B=$(SANITIZE_B)/ubsan CFLAGS='-O1 -g $(UBSAN_FLAGS)' LDFLAGS='$(UBSAN_FLAGS)' \
	  $(SANITIZE_B)/ubsan/lib/hako/core.so
	mkdir -p $(SANITIZE_B)/lib/hako && cp $(SANITIZE_B)/ubsan/lib/hako/core.so $(SANITIZE_B)/lib/hako/
	$(MAKE) B=$(SANITIZE_B) CFLAGS='-O1 -g -fsanitize=undefined -fsanitize-undefined-trap-on-error' \
	  $(SANITIZE_B)/probe
	sh spec/sanitize/run.sh $(SANITIZE_B)
	$(MAKE) valgrind

# memcheck over the binary as built (spec/sanitize/valgrind.sh).
valgrind: deps
	$(MAKE) all
	sh spec/sanitize/valgrind.sh $(B)

# Never part of check: timings belong in a report, not in a test verdict.
bench: deps
	$(MAKE) all
	sh spec/bench/bench.sh $(B)

demo: deps
	$(MAKE) all
	sh spec/demo.sh $(B)/hako-run

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LUA_LMOD)/hako
	install -m 755 $(B)/hako $(DESTDIR)$(BINDIR)/hako
	ln -sf hako $(DESTDIR)$(BINDIR)/hako-run
	ln -sf hako $(DESTDIR)$(BINDIR)/hako-enter
	install -m 644 $(MODULES) $(DESTDIR)$(LUA_LMOD)/hako/
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man1/
	install -d $(DESTDIR)$(MANDIR)/man7
	install -m 644 $(MANPAGES7) $(DESTDIR)$(MANDIR)/man7/
	install -d $(DESTDIR)$(MANDIR)/man3
	install -m 644 $(MANPAGES3) $(DESTDIR)$(MANDIR)/man3/
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 644 bin/hako.bash-completion $(DESTDIR)$(BASHCOMPDIR)/hako
	ln -sf hako $(DESTDIR)$(BASHCOMPDIR)/hako-run
	ln -sf hako $(DESTDIR)$(BASHCOMPDIR)/hako-enter
ifneq (,$(CORE_SO))
	install -d $(DESTDIR)$(LUA_CMOD)/hako
	install -m 755 $(CORE_SO) $(DESTDIR)$(LUA_CMOD)/hako/core.so
endif

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/hako $(DESTDIR)$(BINDIR)/hako-run $(DESTDIR)$(BINDIR)/hako-enter
	rm -f $(MANPAGES:bin/%=$(DESTDIR)$(MANDIR)/man1/%) $(MANPAGES7:bin/%=$(DESTDIR)$(MANDIR)/man7/%)
	rm -f $(MANPAGES3:bin/%=$(DESTDIR)$(MANDIR)/man3/%)
	rm -f $(addprefix $(DESTDIR)$(BASHCOMPDIR)/,hako hako-run hako-enter)
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
