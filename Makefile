# IUC top-level Makefile.  Thin: the heavy lifting is in tools/vm/*.sh
# (see tools/vm/README.md).
#
#   make [module] [KDIR=/lib/modules/<kver>/build]   build module/iuc.ko
#   make userlib | selftests                          userspace (static) into build/
#   make check [KERNELS="6.1 6.12 debug"]             full VM test matrix
#   make demo [KERNEL=6.12]                           boot VM, run iuc-demo
#   make dkms-build [KVER=<kver>]                     dkms build into build/dkms
#   make bench [KERNELS=6.12]                         benchmarks in the VM -> build/bench, docs/bench
#   make fuzz [DURATION=s] [CALLS=n] [KERNEL=debug] [SEED=n]  fuzz soak in the VM (tools/fuzz)
#   make fuzzer                                       build the fuzzer only (build/fuzz/iuc_fuzz)
#   make deps | debug-kernel | sparse | install | dkms-install | dkms-remove | clean

TOP := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

ifneq ($(KERNELRELEASE),)
# Invoked by kbuild (only used if there is no top-level Kbuild file).
obj-m += module/
else

VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$$/\1/p' $(TOP)/dkms.conf)
# KDIR defaults to the running kernel's build dir; when that has no headers
# (e.g. a container/VM host kernel) fall back to the newest installed ones
# (so `make` also works on the development machine; pass KDIR= to choose).
ifeq ($(origin KVER),undefined)
KVER := $(shell uname -r)
ifeq ($(wildcard /lib/modules/$(KVER)/build/Makefile),)
KVER := $(lastword $(shell ls -1d /lib/modules/*/build/Makefile 2>/dev/null | cut -d/ -f4 | sort -V))
endif
endif
KDIR    ?= /lib/modules/$(KVER)/build
IUC_OUT ?= $(TOP)/build
BUILD   := $(IUC_OUT)
KERNELS ?= 6.1 6.12 debug
KERNEL  ?= 6.12
export KERNELS KERNEL IUC_OUT

.PHONY: all module modules clean userlib selftests check demo bench deps debug-kernel \
	dkms-build dkms-install dkms-remove install sparse linux-source fuzz fuzzer

all: module

module modules:
	@test -f $(KDIR)/Makefile || { echo "no kernel build dir at KDIR=$(KDIR) (install linux-headers-$(KVER) or pass KDIR=...)"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP) modules

sparse:
	$(MAKE) -C $(KDIR) M=$(TOP) C=2 modules

install: module
	$(MAKE) -C $(KDIR) M=$(TOP) modules_install
	depmod -a $(KVER)

userlib:
	@mkdir -p $(BUILD)/userlib
	$(MAKE) -C $(TOP)/userlib O=$(BUILD)/userlib

# KSFT_DIR: kselftest dir of the extracted Debian linux-source-6.12
# (kselftest_harness.h is used from there, never copied into the repo).
selftests:
	@mkdir -p $(BUILD)/selftests
	ksft="$(KSFT_DIR)"; \
	if [ -z "$$ksft" ]; then ksft="$$($(TOP)/tools/vm/linux-source.sh)/tools/testing/selftests" || exit 1; fi; \
	$(MAKE) -C $(TOP)/selftests O=$(BUILD)/selftests KSFT_DIR="$$ksft"

linux-source:
	@$(TOP)/tools/vm/linux-source.sh

deps:
	$(TOP)/tools/vm/install-deps.sh

debug-kernel:
	$(TOP)/tools/vm/build-debug-kernel.sh

check:
	@$(TOP)/tools/vm/check.sh

demo:
	@$(TOP)/tools/vm/demo.sh

# Benchmarks: IUC against Linux pipes, AF_UNIX, mqueue, memfd, Binder and memcpy in one VM
# run (KERNELS defaults to 6.12 here, not to the whole matrix).
bench:
	@KERNELS="$(if $(filter command line environment,$(origin KERNELS)),$(KERNELS),6.12)" \
		$(TOP)/tools/bench/bench.sh

# Fuzzing (tools/fuzz/README.md): a soak of iuc_fuzz then trinity in one VM,
# on the debug kernel unless KERNEL is given on the command line.
fuzzer:
	$(MAKE) -C $(TOP)/tools/fuzz O=$(BUILD)/fuzz

fuzz:
	@KERNEL="$(if $(filter command line environment,$(origin KERNEL)),$(KERNEL),debug)" \
		$(TOP)/tools/fuzz/fuzz.sh

dkms-build:
	$(TOP)/tools/vm/dkms-build.sh $(KVER)

# Real installation through DKMS (system-wide, needs root).
dkms-install:
	rm -rf /usr/src/iuc-$(VERSION)
	bash -c '. $(TOP)/tools/vm/lib.sh && iuc_copy_src /usr/src/iuc-$(VERSION)'
	dkms add -m iuc -v $(VERSION)
	dkms build -m iuc -v $(VERSION) -k $(KVER)
	dkms install -m iuc -v $(VERSION) -k $(KVER)

dkms-remove:
	-dkms remove -m iuc -v $(VERSION) --all
	rm -rf /usr/src/iuc-$(VERSION)

clean:
	@if [ -d $(KDIR) ]; then $(MAKE) -C $(KDIR) M=$(TOP) clean; fi
	rm -rf $(BUILD)

endif
