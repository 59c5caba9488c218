/* json-transform: reads one JSON value and writes it back compact, with the members of
 * every object sorted by key. A top-level object gains a "_stats" member counting the
 * object members, strings and nesting depth of the input. Invalid JSON: exit status 1 and
 * the reason on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { NUL, BOOL, NUMBER, STRING, ARRAY, OBJECT };

struct value {
    enum kind kind;
    const char *text;      /* NUMBER, STRING (raw, escapes kept), BOOL, NUL: the source bytes */
    size_t len;
    struct value **items;  /* ARRAY elements or OBJECT values */
    struct value **keys;   /* OBJECT keys (STRING values) */
    size_t count;
};

static const char *src, *pos, *end;
static int members, strings, max_depth;

static _Noreturn void fail(const char *why)
{
    fprintf(stderr, "invalid JSON at byte %ld: %s\n", (long)(pos - src), why);
    exit(1);
}

static void skip_space(void)
{
    while (pos < end && (*pos == ' ' || *pos == '\t' || *pos == '\n' || *pos == '\r'))
        pos++;
}

static struct value *new_value(enum kind kind)
{
    struct value *v = calloc(1, sizeof *v);
    if (!v)
        fail("out of memory");
    v->kind = kind;
    return v;
}

static void push(struct value *v, struct value *key, struct value *item)
{
    if ((v->count & (v->count - 1)) == 0) { /* grow at powers of two */
        size_t cap = v->count ? v->count * 2 : 1;
        v->items = realloc(v->items, cap * sizeof *v->items);
        v->keys = v->kind == OBJECT ? realloc(v->keys, cap * sizeof *v->keys) : NULL;
        if (!v->items || (v->kind == OBJECT && !v->keys))
            fail("out of memory");
    }
    if (key)
        v->keys[v->count] = key;
    v->items[v->count++] = item;
}

static struct value *parse(int depth);

static struct value *parse_string(void)
{
    struct value *v = new_value(STRING);
    v->text = ++pos;
    while (pos < end && *pos != '"') {
        if ((unsigned char)*pos < 0x20)
            fail("control character in string");
        if (*pos == '\\' && ++pos == end)
            break;
        pos++;
    }
    if (pos == end)
        fail("unterminated string");
    v->len = (size_t)(pos++ - v->text);
    strings++;
    return v;
}

static struct value *parse_literal(const char *word, enum kind kind)
{
    size_t n = strlen(word);
    if ((size_t)(end - pos) < n || memcmp(pos, word, n))
        fail("unexpected character");
    struct value *v = new_value(kind);
    v->text = pos;
    v->len = n;
    pos += n;
    return v;
}

static struct value *parse(int depth)
{
    if (depth > 512)
        fail("nested too deeply");
    if (depth > max_depth)
        max_depth = depth;
    skip_space();
    if (pos == end)
        fail("unexpected end of input");
    char c = *pos;
    if (c == '"')
        return parse_string();
    if (c == 't')
        return parse_literal("true", BOOL);
    if (c == 'f')
        return parse_literal("false", BOOL);
    if (c == 'n')
        return parse_literal("null", NUL);
    if (c == '-' || (c >= '0' && c <= '9')) {
        struct value *v = new_value(NUMBER);
        v->text = pos;
        char *after;
        strtod(pos, &after);
        if (after == pos || after > end)
            fail("bad number");
        pos = after;
        v->len = (size_t)(pos - v->text);
        return v;
    }
    if (c == '[' || c == '{') {
        struct value *v = new_value(c == '[' ? ARRAY : OBJECT);
        char close = c == '[' ? ']' : '}';
        pos++;
        skip_space();
        if (pos < end && *pos == close) {
            pos++;
            return v;
        }
        for (;;) {
            struct value *key = NULL;
            if (v->kind == OBJECT) {
                skip_space();
                if (pos == end || *pos != '"')
                    fail("expected a string key");
                key = parse_string();
                strings--; /* keys are counted as members, not strings */
                skip_space();
                if (pos == end || *pos++ != ':')
                    fail("expected ':'");
                members++;
            }
            push(v, key, parse(depth + 1));
            skip_space();
            if (pos < end && *pos == ',') {
                pos++;
                continue;
            }
            if (pos < end && *pos == close) {
                pos++;
                return v;
            }
            fail(v->kind == OBJECT ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    fail("unexpected character");
}

static int compare_keys(const struct value *a, const struct value *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->text, b->text, n);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static void sort_members(struct value *v)
{
    for (size_t i = 1; i < v->count; i++) { /* insertion sort: objects are small */
        struct value *k = v->keys[i], *x = v->items[i];
        size_t j = i;
        for (; j > 0 && compare_keys(v->keys[j - 1], k) > 0; j--) {
            v->keys[j] = v->keys[j - 1];
            v->items[j] = v->items[j - 1];
        }
        v->keys[j] = k;
        v->items[j] = x;
    }
}

static void emit(const struct value *v, int top)
{
    switch (v->kind) {
    case STRING:
        printf("\"%.*s\"", (int)v->len, v->text);
        return;
    case ARRAY:
        putchar('[');
        for (size_t i = 0; i < v->count; i++) {
            if (i)
                putchar(',');
            emit(v->items[i], 0);
        }
        putchar(']');
        return;
    case OBJECT:
        sort_members((struct value *)v);
        putchar('{');
        if (top)
            printf("\"_stats\":{\"depth\":%d,\"members\":%d,\"strings\":%d}%s", max_depth, members, strings,
                   v->count ? "," : "");
        for (size_t i = 0; i < v->count; i++) {
            if (i)
                putchar(',');
            printf("\"%.*s\":", (int)v->keys[i]->len, v->keys[i]->text);
            emit(v->items[i], 0);
        }
        putchar('}');
        return;
    default:
        printf("%.*s", (int)v->len, v->text);
    }
}

int main(void)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, stdin)) > 0) {
        len += n;
        if (len == cap)
            buf = realloc(buf, cap *= 2);
    }
    if (!buf) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    src = pos = buf;
    end = buf + len;
    struct value *v = parse(0);
    skip_space();
    if (pos != end)
        fail("trailing characters after the value");
    emit(v, 1);
    putchar('\n');
    return 0;
}
