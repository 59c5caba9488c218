/* The Lua runtime's bootstrap: the function binary of every "runtime": "lua" function.
 *
 * At deploy: start Lua, run /function/handler.lua (the user's module-level code: loading
 * tables, requiring modules), keep the function it returns, collect garbage, and call
 * thaw_ready(): the snapshot point. Every invocation resumes there, reseeds math.random
 * from fresh entropy, reads the request from stdin, calls handler(request) and writes what
 * it returns to stdout (a handler without parameters reads io.stdin itself). A Lua error
 * prints its traceback to stderr and exits with 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <thaw/thaw.h>
#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

#define HANDLER "/function/handler.lua"

static int traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg)
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    luaL_traceback(L, L, msg, 1);
    return 1;
}

static _Noreturn void fail(lua_State *L, const char *what)
{
    fprintf(stderr, "%s: %s\n", what, lua_tostring(L, -1));
    fflush(stderr);
    exit(1);
}

/* The whole request, from stdin. */
static char *read_request(size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, stdin)) > 0;) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    if (!buf) {
        fputs("out of memory reading the request\n", stderr);
        exit(1);
    }
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    lua_State *L = luaL_newstate();
    if (!L) {
        fputs("cannot create the Lua state: out of memory\n", stderr);
        return 1;
    }
    luaL_openlibs(L);

    /* require looks in the bundle first, then in the runtime's library; no C modules. */
    lua_getglobal(L, "package");
    lua_pushstring(L, "/function/?.lua;/function/?/init.lua;/usr/share/lua/5.4/?.lua;/usr/share/lua/5.4/?/init.lua");
    lua_setfield(L, -2, "path");
    lua_pushstring(L, "");
    lua_setfield(L, -2, "cpath");
    lua_pop(L, 1);

    /* arg, as the standalone interpreter sets it: the manifest's "args" */
    lua_createtable(L, argc, 1);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i);
    }
    lua_setglobal(L, "arg");

    lua_pushcfunction(L, traceback);
    int tb = lua_gettop(L);
    if (luaL_loadfile(L, HANDLER) != LUA_OK)
        fail(L, "cannot load " HANDLER);
    if (lua_pcall(L, 0, 1, tb) != LUA_OK)
        fail(L, "error while running " HANDLER);
    if (!lua_isfunction(L, -1)) {
        fprintf(stderr, "%s must return a function (the handler), it returned a %s value\n", HANDLER,
                luaL_typename(L, -1));
        return 1;
    }
    int handler = lua_gettop(L);
    lua_gc(L, LUA_GCCOLLECT); /* a compact heap in the snapshot, and no collection owed */

    thaw_ready();

    /* What init seeded is shared by every invocation: reseed math.random. */
    lua_Integer seed[2];
    if (getrandom(seed, sizeof seed, 0) == sizeof seed) {
        lua_getglobal(L, "math");
        lua_getfield(L, -1, "randomseed");
        lua_pushinteger(L, seed[0]);
        lua_pushinteger(L, seed[1]);
        lua_call(L, 2, 0);
        lua_pop(L, 1);
    }

    /* A handler without parameters reads io.stdin itself. */
    lua_Debug ar;
    lua_pushvalue(L, handler);
    lua_getinfo(L, ">u", &ar);
    int nargs = 0;
    lua_pushvalue(L, handler);
    if (ar.nparams > 0 || ar.isvararg) {
        size_t len;
        char *request = read_request(&len);
        lua_pushlstring(L, request, len);
        free(request);
        nargs = 1;
    }
    if (lua_pcall(L, nargs, 1, tb) != LUA_OK)
        fail(L, "error in the handler");
    int status = 0;
    if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER) {
        size_t n;
        const char *out = lua_tolstring(L, -1, &n);
        fwrite(out, 1, n, stdout);
    } else if (!lua_isnil(L, -1)) {
        fprintf(stderr, "the handler returned a %s value; return a string (or nil and write with io.write)\n",
                luaL_typename(L, -1));
        status = 1;
    }
    fflush(stdout);
    return status;
}
