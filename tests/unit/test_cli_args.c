/* test_cli_args.c — the command line (core/app/cli_args.c): a command, --config, flags as
 * "--name value" and "--name=value", and messages that stay one printable line whatever the
 * arguments hold (fuzz_cli_args found an argument's newline going to the terminal raw). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cli_args.h"

#include <errno.h>
#include <string.h>

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static bool one_printable_line(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static void test_command_and_flags(void **state)
{
	(void)state;
	char *argv[] = { "keepvip", "run", "--priority", "150", "--advert-ms=100",
			 "--config", "/etc/k.yml" };
	struct cli_args cli;
	char err[256] = "";

	assert_int_equal(cli_args_parse(ARGC(argv), argv, NULL, &cli, err, sizeof(err)), 0);
	assert_string_equal(cli.command, "run");
	assert_string_equal(cli.config_path, "/etc/k.yml");
	assert_int_equal(cli.n_flags, 2);
	assert_string_equal(cli_args_lookup("KEEPVIP_PRIORITY", &cli), "150");
	assert_string_equal(cli_args_lookup("KEEPVIP_ADVERT_MS", &cli), "100");
	assert_null(cli_args_lookup("KEEPVIP_VRID", &cli));
}

static void test_no_command_is_help(void **state)
{
	(void)state;
	char *argv[] = { "keepvip" };
	struct cli_args cli;
	char err[256] = "";

	assert_int_equal(cli_args_parse(ARGC(argv), argv, NULL, &cli, err, sizeof(err)), 0);
	assert_string_equal(cli.command, "help");
}

static void test_errors(void **state)
{
	(void)state;
	char *two[] = { "keepvip", "run", "check" };
	char *unknown[] = { "keepvip", "run", "--prio=s3cret" };
	char *no_value[] = { "keepvip", "run", "--priority" };
	struct cli_args cli;
	char err[256] = "";

	assert_int_equal(cli_args_parse(ARGC(two), two, NULL, &cli, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unexpected argument \"check\"");
	assert_int_equal(cli_args_parse(ARGC(unknown), unknown, NULL, &cli, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "unknown option \"--prio\""); /* not its value */
	assert_int_equal(cli_args_parse(ARGC(no_value), no_value, NULL, &cli, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "--priority"));
}

/* The input fuzz_cli_args found: a stray argument holding a newline and escape bytes. */
static void test_message_is_one_line(void **state)
{
	(void)state;
	char *argv[] = { "keepvip", "status", "-\xee\xff\x12\x11\n\x1b[2Jx" };
	char *bad[] = { "keepvip", "--\n=1" };
	struct cli_args cli;
	char err[256] = "";

	assert_int_equal(cli_args_parse(ARGC(argv), argv, NULL, &cli, err, sizeof(err)), -EINVAL);
	assert_true(one_printable_line(err));
	assert_non_null(strstr(err, "unexpected argument"));
	assert_int_equal(cli_args_parse(ARGC(bad), bad, NULL, &cli, err, sizeof(err)), -EINVAL);
	assert_true(one_printable_line(err));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_and_flags),
		cmocka_unit_test(test_no_command_is_help),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_message_is_one_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
