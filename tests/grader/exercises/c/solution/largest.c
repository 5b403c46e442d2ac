#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc < 2)
        return 1;
    long best = strtol(argv[1], NULL, 10);
    for (int i = 2; i < argc; i++) {
        long n = strtol(argv[i], NULL, 10);
        if (n > best)
            best = n;
    }
    printf("%ld\n", best);
    return 0;
}
