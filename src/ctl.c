/*
 * wardenctl: the management CLI (the instance's manage.py).
 */
#include <stdio.h>
#include <string.h>

static int usage(void)
{
    fputs("usage: wardenctl COMMAND [ARGS...]\n"
          "\n"
          "commands:\n"
          "  help      this text\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
        usage();
        return 0;
    }
    fprintf(stderr, "wardenctl: unknown command '%s'\n", argv[1]);
    return usage();
}
