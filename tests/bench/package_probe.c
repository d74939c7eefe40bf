/* package-probe: the floor of the cold-start measurement in bench-deploy.
 * A static program that does only what a runtime must do before its first
 * invocation: connect to AWS_LAMBDA_RUNTIME_API and send GET /next.  Then it
 * waits for the listener to close the connection. */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (api == NULL || strchr(api, ':') == NULL) {
        fprintf(stderr, "package-probe: AWS_LAMBDA_RUNTIME_API must be 127.0.0.1:PORT\n");
        return 2;
    }
    char host[64];
    snprintf(host, sizeof host, "%.*s", (int)(strchr(api, ':') - api), api);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((unsigned short)atoi(strchr(api, ':') + 1))};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
        connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        perror("package-probe: connect");
        return 1;
    }
    char req[256];
    int n = snprintf(req, sizeof req,
                     "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: %s\r\n\r\n", api);
    if (write(fd, req, (size_t)n) != n) {
        perror("package-probe: write");
        return 1;
    }
    char b[256];
    while (read(fd, b, sizeof b) > 0)
        ;
    close(fd);
    return 0;
}
