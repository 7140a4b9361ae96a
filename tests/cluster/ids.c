/*
 * cluster_ids: draw COUNT snowflake ids as a pool worker of host HOST_ID in
 * scoreboard slot SLOT would, one decimal id a line. tests/cluster/run starts
 * several at once in each host's namespace, with that host's id, and checks
 * that no id comes out twice across all of them.
 *
 *   cluster_ids HOST_ID SLOT COUNT
 */
#include <stdio.h>
#include <stdlib.h>

#include "warden/snowflake.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: cluster_ids HOST_ID SLOT COUNT\n");
        return 2;
    }
    int host = atoi(argv[1]), slot = atoi(argv[2]);
    long count = atol(argv[3]);
    if (host < 0 || host > 31 || slot < 0 || slot > 31 || count < 0) {
        fprintf(stderr, "cluster_ids: HOST_ID and SLOT are 0..31\n");
        return 2;
    }
    snowflake_init((unsigned)host, (unsigned)slot);
    for (long i = 0; i < count; i++)
        printf("%lld\n", (long long)snowflake_next());
    return fflush(stdout) == 0 ? 0 : 1;
}
