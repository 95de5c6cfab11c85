/* `wal-cmd inspect|verify ...` = `autonomy wal inspect|verify ...`, for
 * tests and for use before the supervisor links wal_cmd_dep. */
#include "wal_cmd.h"

int main(int argc, char **argv)
{
	argv[0] = "wal";
	return wal_cmd_main(argc, argv);
}
