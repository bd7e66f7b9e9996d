# What each libFuzzer target links (see fuzz/README.md).
#
# A target fuzz/fuzz_NAME.c links lib/*.c unless a line here names its sources:
#   FUZZ_SRC_NAME := $(LIB_SRC) dir/module.c ...
# Every source is compiled with clang into build-fuzz/obj/ (shared between targets). Adding a
# target that needs only lib/ takes no line here and no Makefile edit.

FUZZ_SRC_ledger := $(LIB_SRC) orchestrator/ledger.c
# policyctl check's readers (iac/): the ARM template and Terraform plan targets
FUZZ_SRC_iac_template := $(LIB_SRC) $(wildcard iac/*.c)
FUZZ_SRC_iac_plan := $(LIB_SRC) $(wildcard iac/*.c)
# armsim's parsers: template expressions, policy rules, $filter, policyStates shaping
FUZZ_SRC_armsim_template := $(LIB_SRC) armsim/template.c armsim/template_expr.c armsim/template_func.c \
	armsim/simclock.c
FUZZ_SRC_armsim_policy := $(LIB_SRC) armsim/template.c armsim/template_expr.c \
	armsim/template_func.c armsim/policy_compile.c armsim/policy_eval.c armsim/alias.c \
	armsim/simclock.c
FUZZ_SRC_armsim_filter := $(LIB_SRC) armsim/filter.c
FUZZ_SRC_armsim_states := $(LIB_SRC) armsim/states_shape.c
# armsim's Resource Graph query language (KQL subset)
FUZZ_SRC_kql := $(LIB_SRC) armsim/kql.c
