/* The file system a function sees: its bundle read-only under /function (the working
 * directory), a writable /tmp that starts empty in every invocation, and Linux's errors
 * for everything else. Prints one line per check; the test compares the transcript. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *err(int r)
{
    static char buf[64];
    if (r >= 0)
        return "ok";
    snprintf(buf, sizeof buf, "%s", strerror(errno));
    return buf;
}

static void list(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        printf("ls %s: %s\n", path, strerror(errno));
        return;
    }
    printf("ls %s:", path);
    struct dirent *e;
    while ((e = readdir(d)))
        printf(" %s%s", e->d_name, e->d_type == DT_DIR ? "/" : "");
    printf("\n");
    closedir(d);
}

/* Read during init: part of the snapshot. */
static char init_text[64];

int main(void)
{
    FILE *early = fopen("data/hello.txt", "r");
    if (early) {
        fgets(init_text, sizeof init_text, early);
        fclose(early);
    }
    char cmd[64] = {0};
    fread(cmd, 1, sizeof cmd - 1, stdin);

    printf("tmp/state before: %s\n", access("/tmp/state", F_OK) == 0 ? "present" : "absent");
    printf("read at init: %s", init_text);

    char cwd[256];
    printf("cwd: %s\n", getcwd(cwd, sizeof cwd));

    int fd = open("/function/data/hello.txt", O_RDONLY);
    char buf[64] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    printf("read: %zd %s", n, buf);
    memset(buf, 0, sizeof buf);
    n = pread(fd, buf, 5, 7);
    printf("pread@7: %zd %s", n, buf);
    printf("lseek end: %ld\n", (long)lseek(fd, 0, SEEK_END));
    struct stat st;
    fstat(fd, &st);
    printf("fstat: size=%ld regular=%d mode=%o\n", (long)st.st_size, S_ISREG(st.st_mode), st.st_mode & 0777);
    char *m = mmap(0, 12, PROT_READ, MAP_PRIVATE, fd, 0);
    printf("mmap: %.5s\n", m == MAP_FAILED ? "FAIL" : m);
    void *shared = mmap(0, 12, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("mmap shared writable: %s\n", shared == MAP_FAILED ? strerror(errno) : "mapped");
    close(fd);

    int r = stat("data/sub", &st);
    printf("stat dir: %s isdir=%d\n", err(r), S_ISDIR(st.st_mode));
    r = stat("../function/./data/sub/two.txt", &st);
    printf("stat ../function/./data/sub/two.txt: %s size=%ld\n", err(r), (long)st.st_size);
    printf("stat missing: %s\n", err(stat("data/nope", &st)));
    printf("stat file as dir: %s\n", err(stat("data/hello.txt/x", &st)));
    printf("open dir for writing: %s\n", err(open("data", O_WRONLY)));
    printf("open O_DIRECTORY on a file: %s\n", err(open("data/hello.txt", O_RDONLY | O_DIRECTORY)));
    printf("readlink: %s\n", err((int)readlink("data/hello.txt", buf, sizeof buf)));
    printf("access W_OK: %s\n", err(access("data/hello.txt", W_OK)));
    list("/function/data");
    list("/");

    printf("write into the bundle: %s\n", err(open("data/new.txt", O_WRONLY | O_CREAT, 0644)));
    printf("truncate a bundle file: %s\n", err(open("data/hello.txt", O_WRONLY | O_TRUNC)));
    printf("unlink in the bundle: %s\n", err(unlink("data/hello.txt")));
    printf("unlink missing: %s\n", err(unlink("data/missing.txt")));
    printf("rename in the bundle: %s\n", err(rename("data/hello.txt", "data/x.txt")));
    printf("mkdir in the bundle: %s\n", err(mkdir("data/d", 0755)));

    FILE *f = fopen("/tmp/state", "w");
    if (!f) {
        printf("fopen /tmp/state: %s\n", strerror(errno));
        return 1;
    }
    fprintf(f, "written by %s\n", cmd);
    fclose(f);
    fd = open("/tmp/state", O_RDWR | O_APPEND);
    write(fd, "more\n", 5);
    r = ftruncate(fd, 100);
    printf("ftruncate+fsync: %s", err(r));
    printf(" %s\n", err(fsync(fd)));
    fstat(fd, &st);
    printf("tmp size: %ld\n", (long)st.st_size);
    printf("unlink while open: %s\n", err(unlink("/tmp/state")));
    printf("after unlink: %s\n", access("/tmp/state", F_OK) == 0 ? "present" : "absent");
    memset(buf, 0, sizeof buf);
    n = pread(fd, buf, 30, 0);
    printf("still readable: %zd %s", n, buf);
    close(fd);
    printf("mkdir /tmp/d: %s\n", err(mkdir("/tmp/d", 0755)));
    f = fopen("/tmp/d/a", "w");
    fputs("A", f);
    fclose(f);
    printf("rename into place: %s\n", err(rename("/tmp/d/a", "/tmp/b")));
    printf("rmdir /tmp/d: %s\n", err(rmdir("/tmp/d")));
    printf("rename into the bundle: %s\n", err(rename("/tmp/b", "/function/b")));
    f = fopen("/tmp/state", "w");
    fputs("left behind\n", f);
    fclose(f);
    list("/tmp");
    return 0;
}
