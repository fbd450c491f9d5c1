/*
 * main.c - wharf, the command-line client.  Its commands (keys, sign, push,
 * pull, ...) arrive with the client issue; until then it says so, and exits
 * with the "bad usage" status so that no script mistakes it for success.
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: wharf COMMAND ...\n\nThe wharf client is not yet implemented; "
               "use curl against wharfd's Bindle API (see README.md).\n");
        return 0;
    }
    fprintf(stderr, "wharf: not yet implemented: use curl against wharfd's Bindle API "
                    "(see README.md)\n");
    return 2;
}
