/* main.c — keepvip's entry point. */
#include "commands.h"

int main(int argc, char **argv)
{
	return keepvip_main(argc, argv);
}
