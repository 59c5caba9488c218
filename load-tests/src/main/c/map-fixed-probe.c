/* map-fixed-probe: what mapping a snapshot over a reserved VM's memory slot costs outside
 * the JVM, to compare with the figures Thaw's cold start shows inside it (docs/BENCHMARKS.md,
 * "A new VM from the snapshot, measured two ways"). Per round: a new KVM VM and vCPU, a
 * PROT_NONE range with a dirty-logged memory slot over it (as VmReserve makes them), then
 * timed: open the file, mmap it MAP_PRIVATE|MAP_FIXED over the range, close the descriptor.
 *
 *   gcc -O2 -o map-fixed-probe map-fixed-probe.c && ./map-fixed-probe FILE [rounds]
 *
 * FILE is a snapshot's memory file, or any file of at least 16 MiB. */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define SIZE (16ul << 20)
#define MAX_ROUNDS 10000

static long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

static long open_ns[MAX_ROUNDS], map_ns[MAX_ROUNDS];

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [rounds]\n", argv[0]);
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 200;
    if (rounds < 1 || rounds > MAX_ROUNDS)
        rounds = 200;
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) {
        perror("/dev/kvm");
        return 1;
    }
    for (int i = 0; i < rounds; i++) {
        int vm = ioctl(kvm, KVM_CREATE_VM, 0);
        int vcpu = vm < 0 ? -1 : ioctl(vm, KVM_CREATE_VCPU, 0);
        void *range = mmap(0, SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        struct kvm_userspace_memory_region slot = { 0, KVM_MEM_LOG_DIRTY_PAGES, 0, SIZE, (unsigned long)range };
        if (vcpu < 0 || range == MAP_FAILED || ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
            perror("making the VM");
            return 1;
        }
        long t0 = now_ns();
        int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
        long t1 = now_ns();
        void *mem = mmap(range, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE | MAP_FIXED, fd, 0);
        long t2 = now_ns();
        if (fd < 0 || mem != range) {
            perror(argv[1]);
            return 1;
        }
        close(fd);
        open_ns[i] = t1 - t0;
        map_ns[i] = t2 - t1;
        munmap(range, SIZE);
        close(vcpu);
        close(vm);
    }
    qsort(open_ns, rounds, sizeof(long), by_value);
    qsort(map_ns, rounds, sizeof(long), by_value);
    printf("open p50 %.1f us; mmap MAP_FIXED p50 %.1f us, p90 %.1f us (%d rounds)\n", open_ns[rounds / 2] / 1e3,
           map_ns[rounds / 2] / 1e3, map_ns[rounds * 9 / 10] / 1e3, rounds);
    return 0;
}
