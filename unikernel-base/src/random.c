/* getrandom(): a ChaCha20 keystream keyed with the 32 bytes of fresh entropy the host
 * sends with every resume, so two invocations of one snapshot never share random bytes. */
#include <string.h>
#include "libos.h"

static uint32_t key[8];
static uint64_t counter;
static uint8_t block[64];
static size_t avail;

#define ROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define QR(a, b, c, d)                                                                      \
    a += b; d ^= a; d = ROTL(d, 16);                                                        \
    c += d; b ^= c; b = ROTL(b, 12);                                                        \
    a += b; d ^= a; d = ROTL(d, 8);                                                         \
    c += d; b ^= c; b = ROTL(b, 7)

static void chacha20_block(uint8_t out[64])
{
    uint32_t in[16] = {
        0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, /* "expand 32-byte k" */
        key[0], key[1], key[2], key[3], key[4], key[5], key[6], key[7],
        (uint32_t)counter, (uint32_t)(counter >> 32), 0, 0,
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
    memcpy(out, x, 64);
    counter++;
}

void random_resumed(const struct thaw_recv *r)
{
    memcpy(key, r->entropy, sizeof key);
    counter = 0;
    avail = 0;
}

void random_fill(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len) {
        if (!avail) {
            chacha20_block(block);
            avail = sizeof block;
        }
        size_t take = len < avail ? len : avail;
        memcpy(p, block + sizeof block - avail, take);
        memset(block + sizeof block - avail, 0, take); /* hand out each byte once */
        avail -= take;
        p += take;
        len -= take;
    }
}
