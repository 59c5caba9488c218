/* getrandom(): a ChaCha20 keystream keyed with the 32 bytes of fresh entropy the host
 * sends with every resume, so two invocations of one snapshot never share random bytes. */
#include <string.h>
#include "libos.h"

#define ROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define QR(a, b, c, d)                                                                      \
    a += b; d ^= a; d = ROTL(d, 16);                                                        \
    c += d; b ^= c; b = ROTL(b, 12);                                                        \
    a += b; d ^= a; d = ROTL(d, 8);                                                         \
    c += d; b ^= c; b = ROTL(b, 7)

static void chacha20_block(struct libos_state *s)
{
    uint32_t in[16] = {
        0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, /* "expand 32-byte k" */
        s->key[0], s->key[1], s->key[2], s->key[3], s->key[4], s->key[5], s->key[6], s->key[7],
        (uint32_t)s->counter, (uint32_t)(s->counter >> 32), 0, 0,
    };
    uint32_t x[16];
    memcpy(x, in, sizeof x);
    for (int i = 0; i < 10; i++) {
        QR(x[0], x[4], x[8], x[12]);
        QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]);
        QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]);
        QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]);
        QR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++)
        x[i] += in[i];
    memcpy(s->block, x, 64);
    s->counter++;
}

void random_resumed(const struct thaw_recv *r)
{
    struct libos_state *s = state();
    memcpy(s->key, r->entropy, sizeof s->key);
    s->counter = 0;
    s->avail = 0;
}

/* Before the snapshot point of a "snapshot at ready" guest: keyed with the boot's entropy,
 * the same for every invocation of the snapshot, which is why init's seeds must be renewed
 * after thaw_ready(). */
void random_start_at_deploy(void)
{
    struct libos_state *s = state();
    if (s->random_started)
        return;
    memcpy(s->key, boot_info()->boot_entropy, sizeof s->key);
    s->counter = 0;
    s->avail = 0;
    s->random_started = 1;
}

void random_fill(void *buf, size_t len)
{
    struct libos_state *s = state();
    uint8_t *p = buf;
    while (len) {
        if (!s->avail) {
            chacha20_block(s);
            s->avail = sizeof s->block;
        }
        size_t take = len < s->avail ? len : s->avail;
        uint8_t *from = s->block + sizeof s->block - s->avail;
        memcpy(p, from, take);
        memset(from, 0, take); /* hand out each byte once */
        s->avail -= take;
        p += take;
        len -= take;
    }
}
