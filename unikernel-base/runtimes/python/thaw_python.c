/* The Python runtime's bootstrap: the function binary of every "runtime": "python" function.
 *
 * At deploy: start CPython (its standard library is .pyc files in the read-only file image
 * under /usr/lib/python3.11), import the handler module from /function (the user's
 * module-level code: imports, tables, compiled regexes), collect and freeze the garbage
 * collector's generations, and call thaw_ready(): the snapshot point. Every invocation
 * resumes there, reseeds the random module, reads the request from stdin, calls
 * handle(request) and writes what it returns (a handle() without parameters reads stdin
 * itself). The bootstrap itself is Python, below.
 *
 * The interpreter is never finalised: an invocation ends with exit(), which flushes C's
 * stdio; Python's streams are flushed by the bootstrap. Tearing down every module would
 * only cost time and dirty pages.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdio.h>
#include <stdlib.h>
#include <thaw/thaw.h>

static PyObject *ready(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    thaw_ready();
    Py_RETURN_NONE;
}

static PyMethodDef thaw_methods[] = {
    { "ready", ready, METH_NOARGS, "The snapshot point: returns in every invocation, with its request on stdin." },
    { NULL, NULL, 0, NULL },
};

static struct PyModuleDef thaw_module = {
    PyModuleDef_HEAD_INIT, "_thaw", "Thaw's guest API.", -1, thaw_methods, NULL, NULL, NULL, NULL,
};

static PyObject *init_thaw(void)
{
    return PyModule_Create(&thaw_module);
}

/* Runs in __main__; main() returns the exit status. */
static const char BOOTSTRAP[] =
    "import sys, gc, traceback, _thaw\n"
    "\n"
    "def _flush():\n"
    "    for s in (sys.stdout, sys.stderr):\n"
    "        try:\n"
    "            s.flush()\n"
    "        except Exception:\n"
    "            pass\n"
    "\n"
    "def _write(result):\n"
    "    if result is None:\n"
    "        return 0\n"
    "    if isinstance(result, str):\n"
    "        sys.stdout.write(result)\n"
    "        return 0\n"
    "    if isinstance(result, (bytes, bytearray, memoryview)):\n"
    "        sys.stdout.flush()\n"
    "        sys.stdout.buffer.write(result)\n"
    "        return 0\n"
    "    print('handle() returned a %s; return bytes or str (or None and print)'\n"
    "          % type(result).__name__, file=sys.stderr)\n"
    "    return 1\n"
    "\n"
    "def _exit_status(e):\n"
    "    if e.code is None:\n"
    "        return 0\n"
    "    if isinstance(e.code, int):\n"
    "        return e.code & 0xff\n"
    "    print(e.code, file=sys.stderr)\n"
    "    return 1\n"
    "\n"
    "def main():\n"
    "    try:\n"
    "        import handler\n"
    "        handle = handler.handle\n"
    "        if not callable(handle):\n"
    "            raise TypeError('handler.handle must be a function, not %s' % type(handle).__name__)\n"
    "    except SystemExit as e:\n"
    "        _flush()\n"
    "        return _exit_status(e)\n"
    "    except BaseException:\n"
    "        traceback.print_exc()\n"
    "        _flush()\n"
    "        return 1\n"
    "    try:  # handle() without parameters reads sys.stdin itself\n"
    "        wants_request = handle.__code__.co_argcount - (1 if hasattr(handle, '__self__') else 0) > 0 \\\n"
    "            or bool(handle.__code__.co_flags & 0x04)\n"
    "    except AttributeError:\n"
    "        wants_request = True\n"
    "    _flush()  # what init printed belongs to the deploy\n"
    "    gc.collect()\n"
    "    gc.freeze()  # the snapshot's objects stay out of every invocation's collections\n"
    "    _thaw.ready()\n"
    "    random = sys.modules.get('random')\n"
    "    if random is not None:\n"
    "        random.seed()  # init's seed is in the snapshot, shared by every invocation\n"
    "    try:\n"
    "        status = _write(handle(sys.stdin.buffer.read()) if wants_request else handle())\n"
    "    except SystemExit as e:\n"
    "        status = _exit_status(e)\n"
    "    except BaseException:\n"
    "        traceback.print_exc()\n"
    "        status = 1\n"
    "    _flush()\n"
    "    return status\n";

static _Noreturn void fail(const char *what, PyStatus status)
{
    fprintf(stderr, "thaw: cannot start Python: %s: %s\n", what, status.err_msg ? status.err_msg : "?");
    exit(1);
}

int main(int argc, char **argv)
{
    PyImport_AppendInittab("_thaw", init_thaw);

    PyPreConfig pre;
    PyPreConfig_InitPythonConfig(&pre);
    pre.utf8_mode = 1; /* no locale files: UTF-8 everywhere */
    PyStatus st = Py_PreInitialize(&pre);
    if (PyStatus_Exception(st))
        fail("pre-initialisation", st);

    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    config.parse_argv = 0;          /* the manifest's args are the handler's sys.argv */
    config.write_bytecode = 0;      /* the file system is read-only */
    config.user_site_directory = 0;
    config.safe_path = 1;
    config.pathconfig_warnings = 0;
    config.install_signal_handlers = 0;
    const wchar_t *paths[] = { L"/function", L"/usr/lib/python3.11", L"/usr/lib/python3.11/site-packages" };
    config.module_search_paths_set = 1;
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        st = PyWideStringList_Append(&config.module_search_paths, paths[i]);
        if (PyStatus_Exception(st))
            fail("module search path", st);
    }
    if (PyStatus_Exception(st = PyConfig_SetString(&config, &config.home, L"/usr"))
        || PyStatus_Exception(st = PyConfig_SetString(&config, &config.executable, L"/usr/bin/python3.11"))
        || PyStatus_Exception(st = PyConfig_SetBytesArgv(&config, argc, argv)))
        fail("configuration", st);
    st = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(st))
        fail("initialisation", st);

    PyObject *globals = PyModule_GetDict(PyImport_AddModule("__main__"));
    PyObject *done = PyRun_String(BOOTSTRAP, Py_file_input, globals, globals);
    PyObject *status = done ? PyRun_String("main()", Py_eval_input, globals, globals) : NULL;
    if (!status) {
        PyErr_Print();
        fflush(stderr);
        exit(1);
    }
    long code = PyLong_AsLong(status);
    exit(code < 0 || code > 255 ? 1 : (int)code);
}
